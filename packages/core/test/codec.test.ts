import { describe, expect, it } from "vitest";
import {
  AdapterRegistry,
  Codec,
  CodecError,
  ConfigError,
  createCodec,
  identityCompressor,
  jsonSerializer,
  parseCompressorEnv,
  parseHeader,
} from "../src/index.ts";

const reversing = {
  id: "rev",
  compress: (b: Uint8Array) => b.slice().reverse(),
  decompress: (b: Uint8Array) => b.slice().reverse(),
};

describe("Codec", () => {
  it("writes a header naming serializer and compressor", async () => {
    const codec = new Codec({ serializer: jsonSerializer, compressor: reversing, threshold: 4 });
    const bytes = (await codec.encode({ hello: "world" })) as Uint8Array;
    expect(parseHeader(bytes)).toMatchObject({ serializerId: "json", compressorId: "rev" });
    expect(await codec.decode(bytes)).toEqual({ hello: "world" });
  });

  it("skips the compressor below the threshold and says so in the header", async () => {
    const codec = new Codec({ serializer: jsonSerializer, compressor: reversing, threshold: 1000 });
    const bytes = (await codec.encode(1)) as Uint8Array;
    expect(parseHeader(bytes).compressorId).toBe("");
  });

  it("decodes payloads written by another codec it can find", async () => {
    const registry = new AdapterRegistry();
    registry.register({ kind: "compressor", name: "rev", create: () => reversing });
    const producer = new Codec({
      serializer: jsonSerializer,
      compressor: reversing,
      threshold: 0,
      registry,
    });
    const consumer = new Codec({ serializer: jsonSerializer, registry });
    expect(await consumer.decode((await producer.encode([1, 2, 3])) as Uint8Array)).toEqual([
      1, 2, 3,
    ]);
  });

  it("names the missing package when a payload's codec is not installed", async () => {
    const registry = new AdapterRegistry({
      importer: () => Promise.reject(new Error("Cannot find module")),
    });
    const consumer = new Codec({ serializer: jsonSerializer, registry });
    const foreign = Uint8Array.from([0xc7, 1, 7, ...new TextEncoder().encode("msgpack"), 0, 0x90]);
    await expect(consumer.decode(foreign)).rejects.toThrow(
      /serializer "msgpack".*@platoon\/serializer-msgpack/,
    );
  });

  it("rejects garbage and truncated headers with a CodecError", async () => {
    const codec = new Codec({ serializer: jsonSerializer });
    expect(() => codec.decode(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(CodecError);
    expect(() => codec.decode(new Uint8Array([0xc7, 1, 50, 1]))).toThrow(/truncated/);
    expect(() => codec.decode(new Uint8Array([0xc7, 9, 4, 1, 1]))).toThrow(/version 9/);
    const good = (await codec.encode({ a: 1 })) as Uint8Array;
    expect(() => codec.decode(good.subarray(0, good.length - 2))).toThrow(CodecError);
  });

  it("refuses payloads over the size limit at encode, with advice", () => {
    const codec = new Codec({ serializer: jsonSerializer, maxPayloadBytes: 100 });
    expect(() => codec.encode("x".repeat(200))).toThrow(/over the limit of 100/);
    try {
      codec.encode("x".repeat(200));
    } catch (error) {
      expect((error as CodecError).code).toBe("PAYLOAD_TOO_LARGE");
    }
  });
});

describe("json serializer", () => {
  it("round-trips Date, BigInt, Map, Set, Uint8Array and undefined", () => {
    const value = {
      when: new Date("2024-01-02T03:04:05.006Z"),
      big: 12345678901234567890n,
      map: new Map<unknown, unknown>([
        ["a", 1],
        [2, new Set([3])],
      ]),
      set: new Set(["x"]),
      bytes: new Uint8Array([0, 255, 7]),
      missing: undefined,
      list: [undefined, 1],
      tricky: { $pt: "Date", v: "not a date" },
    };
    const back = jsonSerializer.deserialize(jsonSerializer.serialize(value)) as typeof value;
    expect(back).toStrictEqual(value);
    expect(Object.hasOwn(back, "missing")).toBe(true);
    expect(back.list).toHaveLength(2);
    expect(0 in back.list).toBe(true);
    const big = new Uint8Array(100_003).map((_, i) => (i * 7) & 255);
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(big))).toEqual(big);
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(undefined))).toBeUndefined();
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(5n))).toBe(5n);
  });

  it("refuses functions and other typed arrays with a clear CodecError", () => {
    expect(() => jsonSerializer.serialize({ f: () => 1 })).toThrow(/function/);
    expect(() => jsonSerializer.serialize(new Float64Array(2))).toThrow(/Float64Array/);
  });
});

describe("createCodec", () => {
  it("lists the known names when one is unknown", async () => {
    await expect(createCodec({ serializer: "yaml" })).rejects.toThrow(ConfigError);
    await expect(createCodec({ serializer: "yaml" })).rejects.toThrow(
      /known serializers are json, msgpack/,
    );
    await expect(createCodec({ compressor: "brotli" })).rejects.toThrow(
      /deflate, gzip, none, zlib/,
    );
  });

  it("takes instances as well as names", async () => {
    const codec = await createCodec({ serializer: jsonSerializer, compressor: identityCompressor });
    expect(codec.spec()).toEqual({
      serializer: "json",
      compressor: "none",
      maxPayloadBytes: 16 * 1024 * 1024,
    });
  });

  it("parses PLATOON_COMPRESSOR forms", () => {
    expect(parseCompressorEnv("gzip")).toBe("gzip");
    expect(parseCompressorEnv("gzip:9")).toEqual({ name: "gzip", level: 9 });
    expect(parseCompressorEnv('{"name":"zlib","threshold":10}')).toEqual({
      name: "zlib",
      threshold: 10,
    });
    expect(() => parseCompressorEnv("gzip:x")).toThrow(ConfigError);
  });
});
