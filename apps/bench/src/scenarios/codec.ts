import { gzip } from "@platoon/compressor-fflate";
import {
  AdapterRegistry,
  buildHeader,
  Codec,
  type Compressor,
  DEFAULT_MAX_PAYLOAD_BYTES,
  jsonSerializer,
  type Serializer,
} from "@platoon/core";
import { msgpackSerializer } from "@platoon/serializer-msgpack";
import { gunzipSync, gzipSync } from "fflate";
import { Packr, Unpackr } from "msgpackr";
import { type Measurement, percentiles, report, rssMb } from "../measure.ts";
import type { Scenario } from "../scenario.ts";

/**
 * Encode + decode round trips of three typical payloads through Platoon's Codec, against
 * the same work done without it:
 *
 * - "direct": the very Serializer/Compressor objects the Codec holds, called by hand.
 *   The gap to this is the codec layer itself (header, join copy, dispatch).
 * - "library": the plain calls an application would write: JSON.stringify + TextEncoder
 *   (no Date/BigInt/Map tagging), msgpackr's default pack/unpack, fflate's gzipSync.
 *
 * Systems run interleaved in rounds and each reports its median round, since the
 * machine is shared. Each measurement line carries the payload, its encoded size and
 * the p10/p50 time per round trip in µs (batch means); overhead_pct compares p10s;
 * the scenario then prints Platoon's ratio to each baseline for the same payload only
 * (main's all-pairs ratios would compare across payloads, so only Platoon lines are
 * returned to it).
 */

type Payload = { name: string; value: unknown; json: unknown };

function payloads(): Payload[] {
  const small = {
    userId: 12345,
    email: "ada@example.com",
    action: "resize-image",
    width: 800,
    height: 600,
    requestedAt: "2024-05-01T12:00:00.000Z",
  };
  const rows = Array.from({ length: 75 }, (_, i) => ({
    id: 100_000 + i,
    sku: `SKU-${1000 + i}`,
    title: `Widget number ${i} in the spring catalogue`,
    price: Math.round((9.99 + i * 1.25) * 100) / 100,
    tags: ["red", "blue", i % 3 === 0 ? "sale" : "new"],
    inStock: i % 2 === 0,
  }));
  const medium = { batch: "import-2024-05-01", source: "s3://bucket/catalogue.csv", rows };
  const binary = new Uint8Array(1024 * 1024);
  // Low-entropy noise with some flat runs: compresses to about 80%, like a photo or a
  // packed sensor dump would, rather than to nothing.
  let seed = 42;
  for (let i = 0; i < binary.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    binary[i] = i % 4096 < 3584 ? seed >>> 26 : 0;
  }
  return [
    { name: "small", value: small, json: small },
    { name: "10kb", value: medium, json: medium },
    // The library JSON baseline has no binary type: it base64-encodes by hand, as apps do.
    { name: "1mb-binary", value: { file: binary }, json: { file: toBase64(binary) } },
  ];
}

interface System {
  name: string;
  payload: Payload;
  /** One encode + decode; returns the encoded size. */
  roundTrip: () => number;
}

function systems(p: Payload): System[] {
  const registry = new AdapterRegistry();
  const msgpack = msgpackSerializer();
  const gz = gzip({ level: 6 });
  const codec = (serializer: Serializer, compressor?: Compressor) =>
    new Codec({ serializer, registry, ...(compressor ? { compressor, threshold: 1024 } : {}) });
  const viaCodec = (c: Codec) => () => {
    const bytes = c.encode(p.value) as Uint8Array;
    c.decode(bytes);
    return bytes.length;
  };
  const direct = (s: Serializer, c?: Compressor) => () => {
    let body = s.serialize(p.value);
    if (c && body.length >= 1024) body = c.compress(body) as Uint8Array;
    const raw = c && body.length >= 1024 ? (c.decompress(body) as Uint8Array) : body;
    s.deserialize(raw);
    return body.length;
  };
  // What Codec does, with the one change proposed to core: the header + body join
  // carves small outputs from a shared slab (as Buffer.allocUnsafe does) instead of a
  // fresh Uint8Array each, which costs ~300 ns on Node 20 whatever its size.
  const proposal = (s: Serializer) => {
    const header = buildHeader(s.id, "");
    return () => {
      const bytes = pooledJoin(header, s.serialize(p.value));
      if (bytes.length > DEFAULT_MAX_PAYLOAD_BYTES) throw new Error("too large");
      for (let i = 0; i < header.length; i++) if (bytes[i] !== header[i]) throw new Error("header");
      s.deserialize(bytes.subarray(header.length));
      return bytes.length;
    };
  };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const packr = new Packr();
  const unpackr = new Unpackr();
  return [
    { name: "platoon json", payload: p, roundTrip: viaCodec(codec(jsonSerializer)) },
    { name: "direct json", payload: p, roundTrip: direct(jsonSerializer) },
    { name: "proposal json", payload: p, roundTrip: proposal(jsonSerializer) },
    {
      name: "library JSON.stringify",
      payload: p,
      roundTrip: () => {
        const bytes = encoder.encode(JSON.stringify(p.json));
        JSON.parse(decoder.decode(bytes));
        return bytes.length;
      },
    },
    { name: "platoon msgpack", payload: p, roundTrip: viaCodec(codec(msgpack)) },
    { name: "direct msgpack", payload: p, roundTrip: direct(msgpack) },
    { name: "proposal msgpack", payload: p, roundTrip: proposal(msgpack) },
    {
      name: "library msgpackr",
      payload: p,
      roundTrip: () => {
        const bytes = packr.pack(p.value);
        unpackr.unpack(bytes);
        return bytes.length;
      },
    },
    { name: "platoon msgpack+gzip", payload: p, roundTrip: viaCodec(codec(msgpack, gz)) },
    { name: "direct msgpack+gzip", payload: p, roundTrip: direct(msgpack, gz) },
    {
      name: "library msgpackr+fflate",
      payload: p,
      roundTrip: () => {
        const packed = packr.pack(p.value);
        const bytes = packed.length >= 1024 ? gzipSync(packed, { level: 6 }) : packed;
        unpackr.unpack(packed.length >= 1024 ? gunzipSync(bytes) : bytes);
        return bytes.length;
      },
    },
  ];
}

const BASELINES: Record<string, string[]> = {
  "platoon json": ["direct json", "library JSON.stringify"],
  "proposal json": ["direct json"],
  "platoon msgpack": ["direct msgpack", "library msgpackr"],
  "proposal msgpack": ["direct msgpack"],
  "platoon msgpack+gzip": ["direct msgpack+gzip", "library msgpackr+fflate"],
};

/** Runs `fn` for about `ms`, in batches of `batch`; returns ops/s and per-op batch means. */
function timed(fn: () => number, ms: number, batch: number) {
  const perOp: number[] = [];
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    const t = now;
    for (let i = 0; i < batch; i++) fn();
    now = performance.now();
    perOp.push((now - t) / batch);
    ops += batch;
  }
  return { opsPerS: (ops / (now - start)) * 1000, perOp };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const scenario: Scenario = {
  name: "codec",
  description:
    "encode+decode of a small object, a ~10 KB object and a 1 MB binary: Platoon Codec (json, msgpack, msgpack+gzip) vs the same adapters called directly and vs plain JSON/msgpackr/fflate calls",
  async run(args) {
    const rounds = Number(args[0] ?? 7);
    const roundMs = Number(args[1] ?? 150);
    const mine: Measurement[] = [];
    for (const payload of payloads()) {
      const list = systems(payload);
      const large = payload.name === "1mb-binary";
      const batch = large ? 1 : payload.name === "10kb" ? 20 : 500;
      // Large payloads run few ops per round, and GC of megabyte buffers dominates a short
      // one: longer rounds keep the spread honest.
      const ms = large ? roundMs * 4 : roundMs;
      const samples = new Map<string, { ops: number[]; perOp: number[]; bytes: number }>();
      for (const s of list) {
        // Warm up (JIT, msgpackr's record readers) before anything is timed.
        const bytes = s.roundTrip();
        timed(s.roundTrip, ms / 2, batch);
        samples.set(s.name, { ops: [], perOp: [], bytes });
      }
      for (let r = 0; r < rounds; r++) {
        // Rotate the order each round so no system always runs right after a GC-heavy one.
        for (let k = 0; k < list.length; k++) {
          const s = list[(k + r) % list.length]!;
          const { opsPerS, perOp } = timed(s.roundTrip, ms, batch);
          const entry = samples.get(s.name)!;
          entry.ops.push(opsPerS);
          entry.perOp.push(...perOp);
        }
      }
      const byName = new Map<string, Measurement>();
      for (const s of list) {
        const entry = samples.get(s.name)!;
        const p = percentiles(entry.perOp);
        // Other processes only ever add time, so the fast tail is the least disturbed
        // estimate of the work itself; the ratios below use it.
        const sorted = [...entry.perOp].sort((a, b) => a - b);
        const p10 = sorted[Math.floor(sorted.length / 10)]!;
        const ops = entry.ops;
        const m = report({
          scenario: "codec",
          system: s.name,
          n: Math.round(ops.reduce((a, b) => a + b, 0) * (ms / 1000)),
          ops_per_s: median(ops),
          p50_ms: p.p50,
          p99_ms: p.p99,
          rss_mb: rssMb(),
          payload: payload.name,
          encoded_bytes: entry.bytes,
          p10_us: Math.round(p10 * 1e6) / 1000,
          p50_us: Math.round((p.p50 ?? 0) * 1e6) / 1000,
          rounds,
          spread_pct: Math.round(((Math.max(...ops) - Math.min(...ops)) / median(ops)) * 1000) / 10,
        });
        byName.set(s.name, m);
        if (s.name.startsWith("platoon")) mine.push(m);
      }
      for (const [ours, peers] of Object.entries(BASELINES)) {
        if (!byName.has(ours)) continue;
        const a = byName.get(ours)!;
        for (const peer of peers) {
          const b = byName.get(peer)!;
          console.log(
            JSON.stringify({
              scenario: "codec",
              payload: payload.name,
              system: ours,
              vs: peer,
              ratio_ops: Math.round((a.ops_per_s / b.ops_per_s) * 1000) / 1000,
              overhead_pct:
                Math.round(((a.p10_us as number) / (b.p10_us as number) - 1) * 1000) / 10,
              bytes: a.encoded_bytes,
              vs_bytes: b.encoded_bytes,
            }),
          );
        }
      }
    }
    return mine;
  },
};
export default scenario;

const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabAt = 0;

function pooledJoin(header: Uint8Array, body: Uint8Array): Uint8Array {
  const size = header.length + body.length;
  let out: Uint8Array;
  if (size > SLAB_SIZE / 16) {
    out = new Uint8Array(size);
  } else {
    if (slabAt + size > SLAB_SIZE) {
      slab = new Uint8Array(SLAB_SIZE);
      slabAt = 0;
    }
    out = slab.subarray(slabAt, slabAt + size);
    slabAt = (slabAt + size + 7) & ~7;
  }
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
