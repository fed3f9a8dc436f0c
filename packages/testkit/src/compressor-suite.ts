import {
  AdapterRegistry,
  Codec,
  CodecError,
  type Compressor,
  jsonSerializer,
  parseHeader,
} from "@platoon/core";
import fc from "fast-check";
import type { TestApi } from "./api.ts";

export interface CompressorSuiteOptions {
  name: string;
  create: () => Compressor | Promise<Compressor>;
  /** compress and decompress return bytes, not Promises (the codec's fast path). */
  sync?: boolean;
  /**
   * Every proper prefix of a compressed payload is refused with a CodecError; a payload
   * with bytes appended is refused or decompresses to the original bytes.
   */
  detectsTruncation?: boolean;
  /**
   * A payload with any byte changed is refused with a CodecError, or (when the byte
   * carried nothing, like a gzip timestamp) decompresses to the original bytes: never to
   * different bytes. Needs a checksum (gzip, zlib); raw deflate has none.
   */
  detectsCorruption?: boolean;
  /** fast-check runs per property. Default 200. */
  numRuns?: number;
}

/**
 * The compressor contract: any bytes round-trip, outputs are plain Uint8Arrays, inputs
 * are not mutated, bad input yields a CodecError (never another error), and through a
 * Codec the threshold and payload limit hold. What a format can detect is declared by
 * the caller and then tested as a promise.
 */
export function compressorSuite(api: TestApi, options: CompressorSuiteOptions): void {
  const { describe, it, expect } = api;
  const numRuns = options.numRuns ?? 200;
  const compressible = fc
    .tuple(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 6 }), fc.nat(200))
    .map(([words, repeat]) => new TextEncoder().encode(words.join(" ").repeat(repeat + 1)));
  const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 2048 }), compressible);

  const roundTrip = async (c: Compressor, bytes: Uint8Array) => {
    const packed = await c.compress(bytes);
    return { packed, out: await c.decompress(packed) };
  };

  describe(`compressor conformance: ${options.name}`, () => {
    it("has an id a codec header can carry", async () => {
      const c = await options.create();
      expect(c.id).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
    });

    it("round-trips empty, tiny, repetitive and random inputs", async () => {
      const c = await options.create();
      const random = new Uint8Array(70_000);
      for (let i = 0; i < random.length; i++) random[i] = (Math.random() * 256) | 0;
      for (const bytes of [
        new Uint8Array(0),
        new Uint8Array([42]),
        new Uint8Array(100_000),
        new TextEncoder().encode("the quick brown fox ".repeat(500)),
        random,
      ]) {
        const { packed, out } = await roundTrip(c, bytes);
        expect(packed).toBeInstanceOf(Uint8Array);
        expect(isBuffer(packed)).toBe(false);
        expect(out).toBeInstanceOf(Uint8Array);
        expect(isBuffer(out)).toBe(false);
        expect(equalBytes(out, bytes)).toBe(true);
      }
    });

    if (options.sync) {
      it("is synchronous, keeping the codec on its fast path", async () => {
        const c = await options.create();
        const packed = c.compress(new Uint8Array(10));
        expect(packed instanceof Promise).toBe(false);
        expect(c.decompress(packed as Uint8Array) instanceof Promise).toBe(false);
      });
    }

    it("property: arbitrary bytes round-trip, and inputs are not mutated", async () => {
      const c = await options.create();
      await fc.assert(
        fc.asyncProperty(anyBytes, async (bytes) => {
          const before = bytes.slice();
          const { packed, out } = await roundTrip(c, bytes);
          expect(equalBytes(bytes, before)).toBe(true);
          const packedBefore = packed.slice();
          expect(equalBytes(out, bytes)).toBe(true);
          expect(equalBytes(packed, packedBefore)).toBe(true);
        }),
        { numRuns },
      );
    }, 60_000);

    it("property: subarray views (non-zero byteOffset) round-trip", async () => {
      const c = await options.create();
      await fc.assert(
        fc.asyncProperty(anyBytes, fc.nat(16), async (bytes, pad) => {
          const host = new Uint8Array(bytes.length + pad * 2);
          host.set(bytes, pad);
          const view = host.subarray(pad, pad + bytes.length);
          const packed = await c.compress(view);
          const packedHost = new Uint8Array(packed.length + pad * 2);
          packedHost.set(packed, pad);
          const out = await c.decompress(packedHost.subarray(pad, pad + packed.length));
          expect(equalBytes(out, bytes)).toBe(true);
        }),
        { numRuns: Math.max(20, numRuns / 4) },
      );
    }, 60_000);

    it("property: garbage is refused with a CodecError or decompresses to some bytes", async () => {
      const c = await options.create();
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (bytes) => {
          try {
            const out = await c.decompress(bytes);
            expect(out).toBeInstanceOf(Uint8Array);
          } catch (error) {
            expect(error).toBeInstanceOf(CodecError);
          }
        }),
        { numRuns: numRuns * 5 },
      );
      const { out } = await roundTrip(c, new Uint8Array([1, 2, 3]));
      expect(Array.from(out)).toEqual([1, 2, 3]);
    }, 60_000);

    if (options.detectsTruncation) {
      it("property: every truncation is refused with a CodecError; appended bytes never change the output", async () => {
        const c = await options.create();
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }), compressible),
            fc.uint8Array({ minLength: 1, maxLength: 8 }),
            async (bytes, extra) => {
              const packed = await c.compress(bytes);
              // Long payloads: every cut near both ends, and a sample in between.
              const cuts = new Set<number>();
              for (let i = 0; i < Math.min(packed.length, 64); i++) {
                cuts.add(i);
                cuts.add(packed.length - 1 - i);
              }
              for (let i = 0; i < 16; i++) cuts.add((Math.random() * packed.length) | 0);
              for (const cut of cuts) {
                if (cut < 0 || cut >= packed.length) continue;
                await expectCodecError(
                  () => c.decompress(packed.subarray(0, cut)),
                  "CODEC",
                  `${packed.length}-byte payload cut to ${cut} bytes`,
                );
              }
              const longer = new Uint8Array(packed.length + extra.length);
              longer.set(packed);
              longer.set(extra, packed.length);
              try {
                expect(equalBytes(await c.decompress(longer), bytes)).toBe(true);
              } catch (error) {
                expect(error).toBeInstanceOf(CodecError);
              }
            },
          ),
          { numRuns: Math.max(20, numRuns / 4) },
        );
      }, 60_000);
    }

    it(`property: a changed byte is ${options.detectsCorruption ? "refused, or harmless" : "refused with a CodecError or decodes to some bytes (no checksum)"}`, async () => {
      const c = await options.create();
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(
          anyBytes,
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          async (bytes, at, xor) => {
            const packed = (await c.compress(bytes)).slice();
            if (packed.length === 0) return;
            packed[at % packed.length]! ^= xor;
            let out: Uint8Array;
            try {
              out = await c.decompress(packed);
            } catch (error) {
              expect(error).toBeInstanceOf(CodecError);
              refused++;
              return;
            }
            expect(out).toBeInstanceOf(Uint8Array);
            if (options.detectsCorruption) expect(equalBytes(out, bytes)).toBe(true);
          },
        ),
        { numRuns },
      );
      if (options.detectsCorruption) expect(refused).toBeGreaterThan(0);
    }, 60_000);

    describe("through a Codec", () => {
      const codecWith = async (extra: { threshold?: number; maxPayloadBytes?: number } = {}) => {
        const compressor = await options.create();
        const registry = new AdapterRegistry();
        return {
          compressor,
          registry,
          codec: new Codec({ serializer: jsonSerializer, compressor, registry, ...extra }),
        };
      };

      it("leaves bodies under the threshold raw and compresses the rest; both decode", async () => {
        const { codec, compressor, registry } = await codecWith({ threshold: 256 });
        const small = { s: "x".repeat(100) };
        const large = { s: "x".repeat(1000) };
        const smallBytes = await codec.encode(small);
        const largeBytes = await codec.encode(large);
        const compresses = compressor.id !== "none";
        expect(parseHeader(smallBytes).compressorId).toBe("");
        expect(parseHeader(largeBytes).compressorId).toBe(compresses ? compressor.id : "");
        // A consumer configured without this compressor still decodes both, by header.
        const consumer = new Codec({ serializer: jsonSerializer, registry });
        expect(await consumer.decode(smallBytes)).toStrictEqual(small);
        expect(await consumer.decode(largeBytes)).toStrictEqual(large);
      });

      it("compresses at exactly the threshold, not one byte below", async () => {
        const { codec, compressor } = await codecWith({ threshold: 100 });
        if (compressor.id === "none") return;
        // jsonSerializer writes a string of n chars as n + 2 bytes.
        expect(parseHeader(await codec.encode("y".repeat(97))).compressorId).toBe("");
        expect(parseHeader(await codec.encode("y".repeat(98))).compressorId).toBe(compressor.id);
      });

      it("carries its level in the codec's spec", async () => {
        const { codec, compressor } = await codecWith({ threshold: 10 });
        const level = (compressor as { level?: unknown }).level;
        const spec = codec.spec().compressor;
        if (compressor.id === "none") expect(spec).toBe("none");
        else expect(spec).toMatchObject({ name: compressor.id, threshold: 10 });
        if (typeof level === "number") expect(spec).toMatchObject({ level });
      });

      it("applies the payload limit to the encoded size", async () => {
        const { codec } = await codecWith({ threshold: 0, maxPayloadBytes: 200 });
        const random = new Uint8Array(400);
        for (let i = 0; i < random.length; i++) random[i] = (Math.random() * 256) | 0;
        await expectCodecError(() => codec.encode(random), "PAYLOAD_TOO_LARGE");
        const ok = await codec.encode([1, 2, 3]);
        expect(await codec.decode(ok)).toStrictEqual([1, 2, 3]);
      });

      it("property: values round-trip at any threshold", async () => {
        const { compressor, registry } = await codecWith();
        await fc.assert(
          fc.asyncProperty(
            fc.jsonValue(),
            fc.integer({ min: 0, max: 300 }),
            async (v, threshold) => {
              const codec = new Codec({
                serializer: jsonSerializer,
                compressor,
                registry,
                threshold,
              });
              expect(await codec.decode(await codec.encode(v))).toStrictEqual(
                jsonSerializer.deserialize(jsonSerializer.serialize(v)),
              );
            },
          ),
          { numRuns: Math.max(20, numRuns / 4) },
        );
      }, 60_000);
    });
  });
}

async function expectCodecError(fn: () => unknown, code = "CODEC", what = "input"): Promise<void> {
  let caught: unknown;
  let result: unknown;
  try {
    result = await fn();
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof CodecError)) {
    const got = caught === undefined ? `a value (${describeValue(result)})` : String(caught);
    throw new Error(`${what}: expected a CodecError, got ${got}`);
  }
  if (caught.code !== code) throw new Error(`expected code ${code}, got ${caught.code}`);
}

function describeValue(value: unknown): string {
  return value instanceof Uint8Array
    ? `${value.length} bytes: ${value.subarray(0, 16).join(",")}`
    : String(value);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isBuffer(bytes: Uint8Array): boolean {
  const Buf = (globalThis as { Buffer?: { isBuffer(b: unknown): boolean } }).Buffer;
  return Buf ? Buf.isBuffer(bytes) : false;
}
