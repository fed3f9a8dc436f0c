import * as nodeZlib from "node:zlib";
import {
  AdapterRegistry,
  Codec,
  CodecError,
  ConfigError,
  createCodec,
  jsonSerializer,
  parseHeader,
} from "@platoon/core";
import { afterEach, describe, expect, it } from "vitest";
import { adler32, crc32, deflate, gzip, platoonAdapters, zlib } from "../src/index.ts";

const text = new TextEncoder().encode("platoon ".repeat(5000));
const random = (n: number) => Uint8Array.from({ length: n }, () => (Math.random() * 256) | 0);

describe("formats are the standard ones", () => {
  it("node:zlib reads what we write, and we read what it writes", () => {
    const pairs = [
      [gzip(), nodeZlib.gunzipSync, nodeZlib.gzipSync],
      [zlib(), nodeZlib.inflateSync, nodeZlib.deflateSync],
      [deflate(), nodeZlib.inflateRawSync, nodeZlib.deflateRawSync],
    ] as const;
    for (const [ours, theirInflate, theirDeflate] of pairs) {
      expect(new Uint8Array(theirInflate(ours.compress(text)))).toEqual(text);
      expect(ours.decompress(new Uint8Array(theirDeflate(text)))).toEqual(text);
    }
  });

  it("checksums match node:zlib's", () => {
    const sizes = Array.from({ length: 40 }, (_, n) => random(n));
    for (const bytes of [new Uint8Array(0), text, random(100_003), ...sizes]) {
      expect(crc32(bytes)).toBe(nodeZlib.crc32(bytes));
      const z = nodeZlib.deflateSync(bytes);
      expect(adler32(bytes)).toBe(z.readUInt32BE(z.length - 4));
    }
  });
});

describe("levels", () => {
  it("exposes level, and a higher level is not larger", () => {
    expect(gzip().level).toBe(6);
    expect(gzip({ level: 9 }).compress(text).length).toBeLessThanOrEqual(
      gzip({ level: 1 }).compress(text).length,
    );
    expect(gzip({ level: 0 }).compress(text).length).toBeGreaterThan(text.length);
  });

  it("refuses a level outside 0-9 with a ConfigError", () => {
    expect(() => gzip({ level: 10 })).toThrow(ConfigError);
    expect(() => zlib({ level: 1.5 })).toThrow(/integer from 0 to 9/);
    expect(() => deflate({ maxOutputBytes: 0 })).toThrow(ConfigError);
  });
});

describe("decompression bombs", () => {
  const zeros = new Uint8Array(4 * 1024 * 1024);
  for (const make of [gzip, zlib, deflate]) {
    it(`${make.name}: refuses output past maxOutputBytes`, () => {
      const packed = make({ level: 9 }).compress(zeros);
      const strict = make({ maxOutputBytes: 1024 * 1024 });
      expect(() => strict.decompress(packed)).toThrow(/maxOutputBytes/);
      // Compared by hand: a deep toEqual over 4 MiB takes vitest tens of seconds.
      const out = make({ maxOutputBytes: zeros.length }).decompress(packed);
      expect(out.length === zeros.length && out.every((b) => b === 0)).toBe(true);
    });
  }

  it("gzip: a trailer claiming a smaller size cannot smuggle more bytes", () => {
    const packed = gzip().compress(text).slice();
    packed.set([16, 0, 0, 0], packed.length - 4);
    expect(() => gzip().decompress(packed)).toThrow(CodecError);
  });
});

describe("through createCodec by name", () => {
  afterEach(() => {
    delete process.env.PLATOON_COMPRESSOR;
  });

  it("exports gzip, deflate and zlib factories", () => {
    expect(platoonAdapters.map((f) => `${f.kind}:${f.name}`)).toEqual([
      "compressor:gzip",
      "compressor:deflate",
      "compressor:zlib",
    ]);
  });

  it("{ name, level, threshold } builds the compressor and the spec carries it", async () => {
    const codec = await createCodec(
      { compressor: { name: "gzip", level: 6, threshold: 512 } },
      new AdapterRegistry(),
    );
    expect(codec.spec()).toMatchObject({ compressor: { name: "gzip", level: 6, threshold: 512 } });
    const small = await codec.encode({ s: "a".repeat(400) });
    const large = await codec.encode({ s: "a".repeat(600) });
    expect(parseHeader(small).compressorId).toBe("");
    expect(parseHeader(large).compressorId).toBe("gzip");
    expect(large.length).toBeLessThan(100);
    expect(await codec.decode(large)).toEqual({ s: "a".repeat(600) });
  });

  it("PLATOON_COMPRESSOR=zlib:9 works", async () => {
    process.env.PLATOON_COMPRESSOR = "zlib:9";
    const codec = await createCodec({}, new AdapterRegistry());
    expect(codec.compressor.id).toBe("zlib");
    expect(codec.spec().compressor).toMatchObject({ name: "zlib", level: 9 });
  });

  it("a spec rebuilt elsewhere decodes the original's payloads", async () => {
    const original = await createCodec(
      { compressor: { name: "deflate", level: 3, threshold: 0 } },
      new AdapterRegistry(),
    );
    const rebuilt = await createCodec(original.spec(), new AdapterRegistry());
    expect(await rebuilt.decode(await original.encode([1, "two"]))).toEqual([1, "two"]);
  });

  it("the payload limit applies to the encoded (compressed) size", async () => {
    const value = { log: "line of a very repetitive log\n".repeat(2000) }; // ~60 KB of JSON
    const limited = (compressor?: ReturnType<typeof gzip>) =>
      new Codec({
        serializer: jsonSerializer,
        registry: new AdapterRegistry(),
        maxPayloadBytes: 10_000,
        ...(compressor ? { compressor, threshold: 1024 } : {}),
      });
    expect(() => limited().encode(value)).toThrow(/over the limit of 10000/);
    for (const c of [gzip(), zlib(), deflate()]) {
      const bytes = limited(c).encode(value) as Uint8Array;
      expect(bytes.length).toBeLessThan(10_000);
      expect(limited(c).decode(bytes)).toEqual(value);
    }
    // Incompressible data over the limit is still refused, with its code.
    try {
      limited(gzip()).encode(random(20_000));
      expect.unreachable();
    } catch (error) {
      expect((error as CodecError).code).toBe("PAYLOAD_TOO_LARGE");
    }
  });

  it("a corrupted gzip body fails Codec.decode with a CodecError, never a wrong value", async () => {
    const codec = new Codec({
      serializer: jsonSerializer,
      compressor: gzip(),
      threshold: 0,
      registry: new AdapterRegistry(),
    });
    const bytes = (codec.encode({ a: "b".repeat(100) }) as Uint8Array).slice();
    bytes[bytes.length - 12]! ^= 0x10;
    expect(() => codec.decode(bytes)).toThrow(CodecError);
  });
});
