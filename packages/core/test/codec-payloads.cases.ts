import type { TestApi } from "@platoon/testkit";
import {
  AdapterRegistry,
  buildHeader,
  Codec,
  CodecError,
  jsonSerializer,
  parseHeader,
  type Serializer,
} from "../src/index.ts";

const text = new TextEncoder();

/** Reference base64, the slow and obvious way. */
function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The JSON payload as the serializer wrote it before binaries were spliced in. */
function stringForm(value: unknown): Uint8Array {
  return text.encode(
    JSON.stringify(value, (_key, v) =>
      v instanceof Uint8Array ? { $pt: "Uint8Array", v: base64(v) } : v,
    ),
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const bytesOf = (n: number, seed = 1) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 255);

/**
 * How the codec lays out payload bytes, shared by the vitest file and the Deno/Bun lane
 * (TextEncoder/TextDecoder behave a little differently on each).
 */
export function codecPayloadCases(api: TestApi): void {
  const { describe, it, expect } = api;

  describe("json payload bytes", () => {
    const header = buildHeader("json", "");

    it("serializeAfter writes exactly the header and what serialize writes", () => {
      const values = [
        1,
        "x",
        { a: "héllo ☃ 𝄞", b: [1, 2] },
        { big: "a".repeat(5000) },
        { big: "é".repeat(3000), tail: "z" },
        { lone: "\ud800 and \udc00" },
        { bin: bytesOf(10), note: "ü" },
        { when: new Date(0), n: 5n, m: new Map([[1, bytesOf(3)]]) },
      ];
      for (const v of values) {
        const after = jsonSerializer.serializeAfter!(header, v);
        expect(Array.from(after.subarray(0, header.length))).toEqual(Array.from(header));
        expect(Array.from(after.subarray(header.length))).toEqual(
          Array.from(jsonSerializer.serialize(v)),
        );
        expect(jsonSerializer.deserialize(after.subarray(header.length))).toStrictEqual(v);
      }
    });

    it("writes Uint8Arrays as the same bytes the base64 string form made, and reads them back", () => {
      const values: unknown[] = [];
      for (let n = 0; n <= 8; n++) values.push({ b: bytesOf(n) });
      values.push(
        bytesOf(1000),
        { file: bytesOf(100_003), name: "photo.jpg" },
        [bytesOf(2), "é", bytesOf(5, 2), { deep: [bytesOf(7, 3)] }],
        { text: "ü".repeat(2000), bin: bytesOf(3000) },
        { view: new Uint8Array(bytesOf(20).buffer, 5, 9) },
      );
      for (const v of values) {
        const bytes = jsonSerializer.serialize(v);
        expect(sameBytes(bytes, stringForm(v))).toBe(true);
        const back = jsonSerializer.deserialize(bytes);
        expect(back).toStrictEqual(v);
      }
      // Binaries in Maps and Sets, and a user object that looks like the tag.
      for (const v of [
        { m: new Map<unknown, unknown>([[bytesOf(4), bytesOf(6)]]), s: new Set([bytesOf(1)]) },
        { $pt: "Uint8Array", v: "" },
        [{ $pt: "Uint8Array", v: "AAAA" }, bytesOf(3)],
      ]) {
        expect(jsonSerializer.deserialize(jsonSerializer.serialize(v))).toStrictEqual(v);
      }
    });

    it("binaries beside random text round-trip, as the string form's bytes", () => {
      let seed = 7;
      const rand = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % n;
      };
      // ASCII, Latin-1, BMP, an astral pair, a lone surrogate, a quote and a backslash.
      const units = ["a", "Z", " ", "é", "☃", "𝄞", "\ud800", '"', "\\", "$", "{"];
      for (let run = 0; run < 500; run++) {
        const parts: unknown[] = [];
        for (let k = rand(6); k > 0; k--) {
          if (rand(2)) parts.push(bytesOf(rand(40), run));
          else
            parts.push(Array.from({ length: rand(30) }, () => units[rand(units.length)]).join(""));
        }
        const bytes = jsonSerializer.serialize(parts);
        expect(sameBytes(bytes, stringForm(parts))).toBe(true);
        // A lone surrogate comes back as itself: JSON escapes it, UTF-8 never sees it.
        expect(jsonSerializer.deserialize(bytes)).toStrictEqual(parts);
      }
    });

    it("reads base64 without padding, and refuses what is not base64", () => {
      const read = (v: unknown) =>
        jsonSerializer.deserialize(text.encode(JSON.stringify({ b: { $pt: "Uint8Array", v } })));
      expect(read("AP8H")).toStrictEqual({ b: Uint8Array.from([0, 255, 7]) });
      expect(read("AP8=")).toStrictEqual({ b: Uint8Array.from([0, 255]) });
      expect(read("AP8")).toStrictEqual({ b: Uint8Array.from([0, 255]) });
      expect(read("AA==")).toStrictEqual({ b: Uint8Array.from([0]) });
      for (const bad of ["A", "AP8*", "AP8é", "AP8H=", "A===", "====", 5, null]) {
        expect(() => read(bad)).toThrow(CodecError);
      }
    });

    it("refuses invalid UTF-8, and keeps a U+FFFD that was in the data", () => {
      expect(() => jsonSerializer.deserialize(Uint8Array.from([0x22, 0xff, 0x22]))).toThrow(
        /json payload is corrupt/,
      );
      expect(() => jsonSerializer.deserialize(Uint8Array.from([0x22, 0xe2, 0x82, 0x22]))).toThrow(
        CodecError,
      );
      const v = { s: "a\ufffdb", t: '$pt"' };
      expect(jsonSerializer.deserialize(jsonSerializer.serialize(v))).toStrictEqual(v);
    });
  });

  describe("codec payload buffers", () => {
    it("small payloads share slabs but no later encode overwrites one", async () => {
      const codec = new Codec({ serializer: jsonSerializer, registry: new AdapterRegistry() });
      const kept: [unknown, Uint8Array, number[]][] = [];
      for (let i = 0; i < 3000; i++) {
        const v = i % 100 === 0 ? { i, pad: "p".repeat(i) } : { i, s: "é".repeat(i % 50) };
        const bytes = codec.encode(v) as Uint8Array;
        kept.push([v, bytes, Array.from(bytes)]);
      }
      for (const [v, bytes, copy] of kept) {
        expect(bytes.constructor).toBe(Uint8Array);
        expect(Array.from(bytes)).toEqual(copy);
        expect(codec.decode(bytes)).toStrictEqual(v);
      }
    });

    it("joins header and body for serializers without serializeAfter, compressed or not", async () => {
      const plain: Serializer = {
        id: "plain",
        serialize: (v) => jsonSerializer.serialize(v),
        deserialize: (b) => jsonSerializer.deserialize(b),
      };
      const reversing = {
        id: "rev",
        compress: (b: Uint8Array) => b.slice().reverse(),
        decompress: (b: Uint8Array) => b.slice().reverse(),
      };
      const registry = new AdapterRegistry();
      const raw = new Codec({ serializer: plain, registry });
      const packed = new Codec({
        serializer: plain,
        compressor: reversing,
        threshold: 50,
        registry,
      });
      for (const v of [{ a: 1 }, { s: "x".repeat(2000) }]) {
        for (const codec of [raw, packed]) {
          const bytes = codec.encode(v) as Uint8Array;
          const header = parseHeader(bytes);
          expect(header.serializerId).toBe("plain");
          const big = bytes.length > 100;
          expect(header.compressorId).toBe(codec === packed && big ? "rev" : "");
          expect(codec.decode(bytes)).toStrictEqual(v);
          expect(raw.decode(bytes)).toStrictEqual(v);
        }
      }
    });

    it("decodes its own compressed payloads without the registry, and wraps their errors", async () => {
      const reversing = {
        id: "rev",
        compress: (b: Uint8Array) => b.slice().reverse(),
        decompress: (b: Uint8Array) => {
          if (b[0] === 0) throw new Error("boom");
          return b.slice().reverse();
        },
      };
      const codec = new Codec({
        serializer: jsonSerializer,
        compressor: reversing,
        threshold: 0,
        registry: new AdapterRegistry(),
      });
      const bytes = codec.encode({ a: [1, 2, 3] }) as Uint8Array;
      expect(codec.decode(bytes)).toStrictEqual({ a: [1, 2, 3] });
      const broken = bytes.slice();
      broken[parseHeader(bytes).bodyOffset] = 0;
      expect(() => codec.decode(broken)).toThrow(/does not decompress with rev: boom/);
      const garbled = bytes.slice(0, -1);
      expect(() => codec.decode(garbled)).toThrow(CodecError);
    });
  });
}
