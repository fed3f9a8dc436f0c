import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import {
  AdapterRegistry,
  CodecError,
  createCodec,
  jsonSerializer,
  parseHeader,
} from "@platoon/core";
import { Packr } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import { msgpackSerializer, platoonAdapters } from "../src/index.ts";

const s = msgpackSerializer();

describe("msgpack serializer", () => {
  it("round-trips BigInt far beyond 64 bits", () => {
    for (const n of [2n ** 1000n, -(2n ** 1000n) + 1n, 2n ** 64n - 1n]) {
      expect(s.deserialize(s.serialize({ n }))).toStrictEqual({ n });
    }
  });

  it("keeps Maps and objects apart at every depth", () => {
    const v = { o: { a: 1 }, m: new Map([["a", 1]]), list: [new Map([[1, { b: 2 }]]), { b: 2 }] };
    expect(s.deserialize(s.serialize(v))).toStrictEqual(v);
  });

  it("writes class instances as plain objects, as JSON does", () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
    }
    expect(s.deserialize(s.serialize(new Point(1, 2)))).toStrictEqual({ x: 1, y: 2 });
  });

  it('renames an own "__proto__" key to "__proto_" and never sets a prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const out = s.deserialize(s.serialize(hostile)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out).toStrictEqual({ __proto_: { polluted: true }, a: 1 });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("refuses trailing bytes after a value", () => {
    const bytes = s.serialize({ a: 1 });
    expect(() => s.deserialize(Uint8Array.from([...bytes, 0]))).toThrow(CodecError);
  });

  it("decodes plain msgpack from other producers (maps come back as Map)", () => {
    const foreign = new Packr({ useRecords: false }).pack({ a: [1, "x"] });
    expect(s.deserialize(new Uint8Array(foreign))).toStrictEqual(new Map([["a", [1, "x"]]]));
  });

  it("is smaller than JSON on a typical job payload", () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, sku: `SKU-${i}`, price: 9.5 + i }));
    expect(s.serialize({ rows }).length).toBeLessThan(
      jsonSerializer.serialize({ rows }).length * 0.7,
    );
  });

  it("payloads decode in a fresh process, without the native addon", () => {
    const values = [
      { rows: Array.from({ length: 40 }, (_, i) => ({ id: i, at: new Date(i), big: BigInt(i) })) },
      { m: new Map([["k", new Set([1, 2])]]), f: new Float64Array([1.5]), u: undefined },
      [{ a: 1 }, { a: 2, b: 3 }, { b: 4, a: 5 }],
    ];
    const hex = values.map((v) => Buffer.from(s.serialize(v)).toString("hex"));
    const script = fileURLToPath(new URL("./fixtures/decode-in-child.ts", import.meta.url));
    const child = spawnSync(process.execPath, ["--import", "tsx", "--conditions=source", script], {
      input: JSON.stringify(hex),
      encoding: "utf8",
      env: { ...process.env, MSGPACKR_NATIVE_ACCELERATION_DISABLED: "true" },
      timeout: 30_000,
    });
    expect(child.stderr).toBe("");
    const { native, out } = JSON.parse(child.stdout) as { native: boolean; out: string[] };
    expect(native).toBe(false);
    out.forEach((h, i) => {
      expect(s.deserialize(new Uint8Array(Buffer.from(h, "hex")))).toStrictEqual(values[i]);
    });
  }, 30_000);
});

describe("decoding small bodies from a reused buffer", () => {
  const values: unknown[] = [
    { a: 1, s: "x".repeat(40), f: 1.5, n: -(2n ** 70n), d: new Date(5) },
    [new Map([["k", new Uint8Array([1, 2, 3])]]), new Set(["a", "b"]), "é☃𝄞"],
    { rows: Array.from({ length: 12 }, (_, i) => ({ id: i, name: `n${i}`, ok: i % 2 === 0 })) },
    { f64: new Float64Array([Math.PI]), big: "y".repeat(300), u: undefined },
  ];

  it("refuses every truncation, even right after decoding the whole payload", () => {
    for (const v of values) {
      const bytes = s.serialize(v);
      expect(bytes.length).toBeLessThan(1024);
      for (let cut = 0; cut < bytes.length; cut++) {
        // The reused buffer then holds the rest of the payload past the cut.
        expect(isDeepStrictEqual(s.deserialize(bytes), v)).toBe(true);
        expect(() => s.deserialize(bytes.subarray(0, cut))).toThrow(CodecError);
      }
    }
  });

  it("hands back values that do not share the reused buffer", () => {
    const first = s.deserialize(s.serialize({ b: new Uint8Array([7, 8, 9]) })) as {
      b: Uint8Array;
    };
    for (let i = 0; i < 20; i++) s.deserialize(s.serialize({ b: new Uint8Array(50).fill(i) }));
    expect(Array.from(first.b)).toEqual([7, 8, 9]);
    expect(first.b.constructor).toBe(Uint8Array);
    expect(first.b.buffer.byteLength).toBe(3);
  });
});

describe("serializeAfter (the codec's no-copy path)", () => {
  const header = Uint8Array.from([0xc7, 1, 7, 109, 115, 103, 112, 97, 99, 107, 0]);
  const values: unknown[] = [
    null,
    { a: 1 },
    { rows: Array.from({ length: 400 }, (_, i) => ({ id: i, name: `row ${i}` })) },
    { blob: new Uint8Array(9000).fill(3) },
    { file: new Uint8Array(2 * 1024 * 1024).map((_, i) => i & 255), tail: "end" },
    "x".repeat(70_000),
  ];

  it("writes the header, then exactly what serialize() writes, at any size", () => {
    for (const v of values) {
      const after = s.serializeAfter!(header, v);
      expect(after.constructor).toBe(Uint8Array);
      expect(Buffer.from(after.subarray(0, header.length)).equals(Buffer.from(header))).toBe(true);
      expect(Buffer.from(after.subarray(header.length)).equals(Buffer.from(s.serialize(v)))).toBe(
        true,
      );
      // node:util compares big typed arrays fast; vitest's toStrictEqual takes seconds.
      expect(isDeepStrictEqual(s.deserialize(after.subarray(header.length)), v)).toBe(true);
    }
  });

  it("hands out regions that later calls never write over", () => {
    const kept = Array.from({ length: 2000 }, (_, i) => {
      const v = i % 500 === 7 ? values[i % values.length] : { i, s: "y".repeat(i % 90) };
      const bytes = i % 2 ? s.serializeAfter!(header, v) : s.serialize(v);
      return { v, bytes, copy: Buffer.from(bytes) };
    });
    for (const { v, bytes, copy } of kept) {
      expect(Buffer.from(bytes).equals(copy)).toBe(true);
      const body = bytes[0] === 0xc7 ? bytes.subarray(header.length) : bytes;
      expect(isDeepStrictEqual(s.deserialize(body), v)).toBe(true);
    }
  });

  it("after a large payload, small ones do not keep msgpackr's grown buffer alive", () => {
    const big = s.serializeAfter!(header, { file: new Uint8Array(3 * 1024 * 1024) });
    // The large payload is a view into a buffer of a few times its size: no copy.
    expect(big.buffer.byteLength).toBeGreaterThan(3 * 1024 * 1024);
    for (const v of [{ a: 1 }, { s: "z".repeat(5000) }, { rows: values[2] }]) {
      for (const bytes of [s.serializeAfter!(header, v), s.serialize(v)]) {
        expect(bytes.buffer.byteLength).toBeLessThanOrEqual(Math.max(8192, bytes.length * 16));
        const body = bytes[0] === 0xc7 ? bytes.subarray(header.length) : bytes;
        expect(isDeepStrictEqual(s.deserialize(body), v)).toBe(true);
      }
    }
  });

  it("refuses a function through serializeAfter too, and stays usable", () => {
    expect(() => s.serializeAfter!(header, { f: () => 1 })).toThrow(CodecError);
    expect(s.deserialize(s.serializeAfter!(header, [1]).subarray(header.length))).toEqual([1]);
  });
});

describe("registry", () => {
  afterEach(() => {
    delete process.env.PLATOON_SERIALIZER;
  });

  it("exports a factory named msgpack", () => {
    expect(platoonAdapters.map((f) => `${f.kind}:${f.name}`)).toEqual(["serializer:msgpack"]);
  });

  it('resolves serializer: "msgpack" by importing the package', async () => {
    const codec = await createCodec({ serializer: "msgpack" }, new AdapterRegistry());
    const bytes = await codec.encode({ when: new Date(0) });
    expect(parseHeader(bytes).serializerId).toBe("msgpack");
    expect(await codec.decode(bytes)).toStrictEqual({ when: new Date(0) });
  });

  it("resolves PLATOON_SERIALIZER=msgpack", async () => {
    process.env.PLATOON_SERIALIZER = "msgpack";
    const codec = await createCodec({}, new AdapterRegistry());
    expect(codec.serializer.id).toBe("msgpack");
  });

  it("lets a json consumer decode msgpack payloads by header", async () => {
    const registry = new AdapterRegistry();
    const producer = await createCodec({ serializer: "msgpack" }, registry);
    const consumer = await createCodec({ serializer: "json" }, new AdapterRegistry());
    const bytes = await producer.encode({ n: 1n });
    expect(await consumer.decode(bytes)).toStrictEqual({ n: 1n });
  });
});
