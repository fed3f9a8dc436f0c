import { AdapterRegistry, Codec, CodecError, parseHeader, type Serializer } from "@platoon/core";
import fc from "fast-check";
import type { TestApi } from "./api.ts";

/** Which value types a serializer promises to bring back as they went in. */
export interface SerializerSupports {
  /** Valid Dates (invalid ones too, where the serializer keeps them). */
  dates?: boolean;
  /** BigInt of any size and sign. */
  bigint?: boolean;
  maps?: boolean;
  sets?: boolean;
  uint8Array?: boolean;
  /** Int8Array … Float64Array, BigInt64Array, BigUint64Array (beyond Uint8Array). */
  typedArrays?: boolean;
  /** `undefined` at the top level, as an object property and in arrays. */
  undefined?: boolean;
  /** NaN, Infinity and -Infinity. */
  nonFiniteNumbers?: boolean;
}

export interface SerializerSuiteOptions {
  name: string;
  /** Called for each test; called again to stand for a fresh process decoding. */
  create: () => Serializer | Promise<Serializer>;
  supports?: SerializerSupports;
  /**
   * Whether every proper prefix of an encoded object or array is refused. (A prefix of a
   * bare number can be a valid number: JSON's "12" is a prefix of "123".)
   */
  detectsTruncation?: boolean;
  /**
   * Tolerates `undefined` inside objects and arrays coming back absent: `{a: undefined}`
   * as `{}` and `[undefined]` as a hole (`[ <empty> ]`: same reads and length, but
   * `"a" in o` is false and forEach skips the hole). A known deviation of the core JSON
   * serializer; new serializers should not need it. Top-level undefined is still strict.
   */
  undefinedInsideMayBecomeAbsent?: boolean;
  /** fast-check runs per property. Default 200. */
  numRuns?: number;
}

/**
 * The serializer contract: values round-trip exactly (directly and through a Codec, in
 * this instance and in a fresh one), payloads are plain self-contained Uint8Arrays, and
 * bad input is refused with a CodecError, never another error or a crash.
 */
export function serializerSuite(api: TestApi, options: SerializerSuiteOptions): void {
  const { describe, it, expect } = api;
  const supports = options.supports ?? {};
  const numRuns = options.numRuns ?? 200;
  const value = codecValue(supports);
  const same = (actual: unknown, expected: unknown) =>
    options.undefinedInsideMayBecomeAbsent
      ? expect(dropUndefined(actual)).toStrictEqual(dropUndefined(expected))
      : expect(actual).toStrictEqual(expected);

  describe(`serializer conformance: ${options.name}`, () => {
    it("has an id a codec header can carry", async () => {
      const s = await options.create();
      expect(s.id).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
    });

    it("round-trips plain JSON-like data", async () => {
      const s = await options.create();
      for (const v of [
        null,
        true,
        false,
        0,
        -1,
        1.5,
        2 ** 53 - 1,
        -(2 ** 31),
        "",
        "héllo ☃ 𝄞",
        [],
        {},
        [1, "a", null, [2]],
        { a: { b: { c: [1, { d: "e" }] } }, "key with spaces": 1, "": 2 },
        { rows: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `n${i}`, ok: i % 2 === 0 })) },
      ]) {
        same(s.deserialize(s.serialize(v)), v);
      }
    });

    for (const [flag, label, samples] of typedSamples()) {
      if (!supports[flag]) continue;
      it(`round-trips ${label}`, async () => {
        const s = await options.create();
        for (const v of samples()) same(s.deserialize(s.serialize(v)), v);
      });
    }

    it("returns plain Uint8Arrays that later calls do not overwrite", async () => {
      const s = await options.create();
      const a = s.serialize({ first: "a".repeat(100) });
      const copy = a.slice();
      for (let i = 0; i < 50; i++) s.serialize({ other: "b".repeat(200), i });
      expect(a).toBeInstanceOf(Uint8Array);
      expect(isBuffer(a)).toBe(false);
      expect(Array.from(a)).toEqual(Array.from(copy));
      same(s.deserialize(a), { first: "a".repeat(100) });
    });

    it("decodes a Node Buffer view like a Uint8Array", async () => {
      const Buf = (globalThis as { Buffer?: { from(b: Uint8Array): Uint8Array } }).Buffer;
      if (!Buf) return;
      const s = await options.create();
      const v = { a: [1, 2, "x"], b: { c: null } };
      same(s.deserialize(Buf.from(s.serialize(v))), v);
    });

    it("refuses functions and symbols with a CodecError", async () => {
      const s = await options.create();
      expect(() => s.serialize({ f: () => 1 })).toThrow(CodecError);
      expect(() => s.serialize(() => 1)).toThrow(CodecError);
      expect(() => s.serialize({ s: Symbol("x") })).toThrow(CodecError);
      // A refused value leaves the serializer usable.
      same(s.deserialize(s.serialize({ ok: 1 })), { ok: 1 });
    });

    it("refuses empty input with a CodecError", async () => {
      const s = await options.create();
      expect(() => s.deserialize(new Uint8Array(0))).toThrow(CodecError);
    });

    it("property: arbitrary supported values round-trip", async () => {
      const s = await options.create();
      fc.assert(
        fc.property(value, (v) => {
          same(s.deserialize(s.serialize(v)), v);
        }),
        { numRuns },
      );
    }, 60_000);

    it("property: payloads are self-contained (a fresh instance decodes them in any order)", async () => {
      const producer = await options.create();
      await fc.assert(
        fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 8 }), async (values) => {
          const encoded = values.map((v) => producer.serialize(v));
          const consumer = await options.create();
          for (let i = encoded.length - 1; i >= 0; i--) {
            same(consumer.deserialize(encoded[i]!), values[i]);
          }
        }),
        { numRuns: Math.max(20, numRuns / 4) },
      );
    }, 60_000);

    it("property: values round-trip through a Codec, with the header naming the serializer", async () => {
      const s = await options.create();
      const codec = new Codec({ serializer: s, registry: new AdapterRegistry() });
      await fc.assert(
        fc.asyncProperty(value, async (v) => {
          const bytes = await codec.encode(v);
          expect(parseHeader(bytes).serializerId).toBe(s.id);
          same(await codec.decode(bytes), v);
        }),
        { numRuns: Math.max(20, numRuns / 4) },
      );
    }, 60_000);

    it("property: garbage is refused with a CodecError or decodes to some value, never another error", async () => {
      const s = await options.create();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
          try {
            s.deserialize(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(CodecError);
          }
        }),
        { numRuns: numRuns * 5 },
      );
      // Failed decodes must not leave state behind that breaks the next one.
      const v = { after: "garbage", n: [1, 2, 3] };
      same(s.deserialize(s.serialize(v)), v);
    }, 60_000);

    it("property: corrupted payloads are refused with a CodecError or decode to some value", async () => {
      const s = await options.create();
      fc.assert(
        fc.property(value, fc.nat(), fc.integer({ min: 1, max: 255 }), (v, at, xor) => {
          const bytes = s.serialize(v).slice();
          if (bytes.length === 0) return;
          bytes[at % bytes.length]! ^= xor;
          try {
            s.deserialize(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(CodecError);
          }
        }),
        { numRuns },
      );
    }, 60_000);

    if (options.detectsTruncation) {
      it("property: every truncation of an encoded object or array is refused with a CodecError", async () => {
        const s = await options.create();
        const container = fc.oneof(
          fc.dictionary(safeKey, value, { maxKeys: 4, noNullPrototype: true }),
          fc.array(value, { maxLength: 4 }),
        );
        fc.assert(
          fc.property(container, (v) => {
            const bytes = s.serialize(v);
            for (let cut = 0; cut < bytes.length; cut++) {
              expect(() => s.deserialize(bytes.subarray(0, cut))).toThrow(CodecError);
            }
          }),
          { numRuns: Math.max(20, numRuns / 4) },
        );
      }, 60_000);
    }
  });
}

/** Object keys any serializer must keep. ("__proto__" is left out: see the msgpack docs.) */
const safeKey = fc.string({ unit: "binary", maxLength: 8 }).filter((k) => k !== "__proto__");

/**
 * Values made only of the types a serializer supports: JSON-like data at the core, plus
 * each supported extra type, nested. Strings are whole code points (a lone surrogate
 * cannot survive UTF-8), -0 is left out (JSON writes it as 0), Dates are valid ones.
 */
export function codecValue(supports: SerializerSupports): fc.Arbitrary<unknown> {
  const number = fc.oneof(
    fc.integer(),
    fc
      .double({ noNaN: !supports.nonFiniteNumbers, noDefaultInfinity: !supports.nonFiniteNumbers })
      .map((d) => (d === 0 ? 0 : d)),
  );
  const scalars: fc.Arbitrary<unknown>[] = [
    fc.constant(null),
    fc.boolean(),
    number,
    fc.string({ unit: "binary", maxLength: 20 }),
  ];
  if (supports.undefined) scalars.push(fc.constant(undefined));
  if (supports.bigint) scalars.push(fc.bigInt());
  if (supports.dates) scalars.push(fc.date({ noInvalidDate: true }));
  if (supports.uint8Array) scalars.push(fc.uint8Array({ maxLength: 16 }));
  if (supports.typedArrays) {
    scalars.push(
      fc.int8Array({ maxLength: 8 }),
      fc.int16Array({ maxLength: 8 }),
      fc.uint16Array({ maxLength: 8 }),
      fc.int32Array({ maxLength: 8 }),
      fc.uint32Array({ maxLength: 8 }),
      fc.float32Array({ maxLength: 8, noDefaultInfinity: true, noNaN: true }),
      fc.float64Array({ maxLength: 8, noDefaultInfinity: true, noNaN: true }),
      fc.bigInt64Array({ maxLength: 4 }),
      fc.bigUint64Array({ maxLength: 4 }),
      fc.uint8ClampedArray({ maxLength: 8 }),
    );
  }
  const scalar = fc.oneof(...scalars);
  const primitiveKey = fc.oneof(fc.string({ maxLength: 6 }), fc.integer());
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => {
    const branches: fc.Arbitrary<unknown>[] = [
      scalar,
      fc.array(tie("tree"), { maxLength: 4 }),
      fc.dictionary(safeKey, tie("tree"), { maxKeys: 4, noNullPrototype: true }),
    ];
    if (supports.maps) {
      branches.push(
        fc
          .uniqueArray(fc.tuple(primitiveKey, tie("tree")), {
            maxLength: 3,
            selector: ([k]) => k,
          })
          .map((entries) => new Map(entries)),
      );
    }
    if (supports.sets)
      branches.push(fc.uniqueArray(primitiveKey, { maxLength: 4 }).map((v) => new Set(v)));
    return { tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, ...branches) };
  });
  return tree;
}

type Flag = keyof SerializerSupports;

function typedSamples(): [Flag, string, () => unknown[]][] {
  return [
    [
      "dates",
      "Date",
      () => [new Date(0), new Date("2024-02-29T23:59:59.999Z"), { at: new Date(-1e12) }],
    ],
    [
      "bigint",
      "BigInt, including beyond 64 bits",
      () => [
        0n,
        5n,
        -5n,
        2n ** 63n,
        -(2n ** 63n),
        2n ** 64n + 1n,
        -(2n ** 200n),
        { n: 2n ** 100n },
      ],
    ],
    [
      "maps",
      "Map, told apart from a plain object",
      () => [
        new Map(),
        new Map<unknown, unknown>([
          ["a", 1],
          [2, { b: new Map([["c", [1]]]) }],
        ]),
        { m: new Map([["k", "v"]]), o: { k: "v" } },
      ],
    ],
    ["sets", "Set", () => [new Set(), new Set([1, "a", 2]), { s: new Set(["x"]) }]],
    [
      "uint8Array",
      "Uint8Array",
      () => [new Uint8Array(0), new Uint8Array([0, 255, 7]), { b: new Uint8Array(300).fill(9) }],
    ],
    [
      "typedArrays",
      "typed arrays",
      () => [
        new Int8Array([-1, 1]),
        new Uint16Array([65535]),
        new Int32Array([-(2 ** 31)]),
        new Float32Array([1.5, -0]),
        new Float64Array([Math.PI, Number.MIN_VALUE]),
        new BigInt64Array([-1n]),
        new BigUint64Array([2n ** 64n - 1n]),
        new Uint8ClampedArray([0, 255]),
      ],
    ],
    [
      "undefined",
      "undefined",
      () => [undefined, { a: undefined, b: 1 }, [undefined, 1, undefined]],
    ],
    ["nonFiniteNumbers", "NaN and ±Infinity", () => [Number.NaN, [Infinity, -Infinity]]],
  ];
}

/** A copy with holes filled and undefined properties removed (see the option). */
function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value, dropUndefined);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, dropUndefined(v)]));
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, dropUndefined(v)]),
    );
  }
  return value;
}

function isBuffer(bytes: Uint8Array): boolean {
  const Buf = (globalThis as { Buffer?: { isBuffer(b: unknown): boolean } }).Buffer;
  return Buf ? Buf.isBuffer(bytes) : false;
}
