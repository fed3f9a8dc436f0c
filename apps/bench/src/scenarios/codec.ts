import { isDeepStrictEqual } from "node:util";
import { AdapterRegistry, type Codec, CodecError, createCodec } from "@platoon/core";
import { gunzipSync, gzipSync } from "fflate";
import { type Options, Packr, Unpackr } from "msgpackr";
import { type Measurement, percentiles, report, rssMb } from "../measure.ts";
import type { Scenario } from "../scenario.ts";

/**
 * What a job pays for its payload: Platoon's codec (`createCodec(...)`, encode + decode)
 * against the raw library calls doing the same work, for three payloads and three codecs.
 *
 * - json: `JSON.stringify` + `TextEncoder`, then `TextDecoder` + `JSON.parse`. The small
 *   and 10 KB payloads need no tagging, so the raw calls write the very bytes Platoon does
 *   (checked below). The binary payload cannot be plain JSON: the raw calls base64 it with
 *   Node's `Buffer` (the fastest way a Node app has), and decode it back to a Uint8Array.
 * - msgpack: msgpackr `pack`/`unpack` with the options Platoon's serializer fixes (checked:
 *   the same bytes after the header).
 * - msgpack+gzip: the same plus fflate `gzipSync`/`gunzipSync` at level 6, skipped below the
 *   1,024-byte threshold, as Platoon does.
 *
 * Every pair runs interleaved, in alternating order, for `rounds` short rounds of about
 * `roundMs` each (fewer for the slow 1 MiB cases, at most ~8 s per pair). A round's ratio
 * is Platoon's CPU time per op over the raw calls' in that round (process CPU time: being
 * descheduled by other processes on a shared machine does not count, GC threads do), and
 * the reported overhead is the median of those ratios, with a 95% confidence interval of
 * that median. Args: `[rounds=201] [roundMs=5] [filter]`, the filter matching
 * "payload/codec", e.g. `small` or `1mb-binary/msgpack`.
 */

const THRESHOLD = 1024;
const LEVEL = 6;

/** Platoon's msgpack wire options (packages/serializer-msgpack), for the raw baseline. */
const MSGPACK_OPTIONS: Options = {
  useRecords: true,
  mapsAsObjects: false,
  bundleStrings: false,
  useBigIntExtension: true,
  copyBuffers: true,
  moreTypes: true,
  structuredClone: false,
  writeFunction: () => {
    throw new Error("function");
  },
};

interface Payload {
  name: string;
  value: unknown;
}

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
  // Low-entropy noise with some flat runs: compresses to about 70%, like a photo or a
  // packed sensor dump would, rather than to nothing.
  let seed = 42;
  for (let i = 0; i < binary.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    binary[i] = i % 4096 < 3584 ? seed >>> 26 : 0;
  }
  return [
    { name: "small", value: small },
    { name: "10kb", value: medium },
    { name: "1mb-binary", value: { file: binary } },
  ];
}

/** One encode + decode; returns the encoded bytes and the decoded value. */
type RoundTrip = () => { bytes: Uint8Array; back: unknown };

interface Pair {
  payload: Payload;
  codec: string;
  platoon: { system: string; run: RoundTrip };
  raw: { system: string; run: RoundTrip };
  /** Whether Platoon's body must equal the raw bytes exactly (same encoding, no tags). */
  sameBody: boolean;
}

async function pairs(p: Payload): Promise<Pair[]> {
  const registry = new AdapterRegistry();
  const platoon = (codec: Codec): RoundTrip => {
    return () => {
      const bytes = codec.encode(p.value) as Uint8Array;
      return { bytes, back: codec.decode(bytes) };
    };
  };
  const json = await createCodec({ serializer: "json", compressor: "none" }, registry);
  const msgpack = await createCodec({ serializer: "msgpack", compressor: "none" }, registry);
  const gzip = await createCodec(
    { serializer: "msgpack", compressor: { name: "gzip", level: LEVEL, threshold: THRESHOLD } },
    registry,
  );

  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const binary = p.name === "1mb-binary";
  const rawJson: RoundTrip = binary
    ? () => {
        // The app knows its schema: base64 the one binary field, and turn it back.
        const file = (p.value as { file: Uint8Array }).file;
        const b64 = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString("base64");
        const bytes = encoder.encode(JSON.stringify({ file: b64 }));
        const parsed = JSON.parse(decoder.decode(bytes)) as { file: string };
        const buf = Buffer.from(parsed.file, "base64");
        return { bytes, back: { file: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) } };
      }
    : () => {
        const bytes = encoder.encode(JSON.stringify(p.value));
        return { bytes, back: JSON.parse(decoder.decode(bytes)) };
      };
  const packr = new Packr(MSGPACK_OPTIONS);
  const unpackr = new Unpackr(MSGPACK_OPTIONS);
  const rawMsgpack: RoundTrip = () => {
    const bytes = packr.pack(p.value);
    return { bytes, back: unpackr.unpack(bytes) };
  };
  const rawGzip: RoundTrip = () => {
    const packed = packr.pack(p.value);
    if (packed.length < THRESHOLD) return { bytes: packed, back: unpackr.unpack(packed) };
    const bytes = gzipSync(packed, { level: LEVEL });
    return { bytes, back: unpackr.unpack(gunzipSync(bytes)) };
  };
  return [
    {
      payload: p,
      codec: "json",
      platoon: { system: "platoon json", run: platoon(json) },
      raw: { system: binary ? "raw JSON + Buffer base64" : "raw JSON", run: rawJson },
      sameBody: !binary,
    },
    {
      payload: p,
      codec: "msgpack",
      platoon: { system: "platoon msgpack", run: platoon(msgpack) },
      raw: { system: "raw msgpackr", run: rawMsgpack },
      sameBody: true,
    },
    {
      payload: p,
      codec: "msgpack+gzip",
      platoon: { system: "platoon msgpack+gzip", run: platoon(gzip) },
      raw: { system: "raw msgpackr+fflate", run: rawGzip },
      // gzip writes the time into its header, so only sizes are compared.
      sameBody: false,
    },
  ];
}

/** Both sides must produce bytes and get back a value equal to the input. */
function check(pair: Pair): { bytes: number; rawBytes: number } {
  const ours = pair.platoon.run();
  const theirs = pair.raw.run();
  const what = `${pair.payload.name}/${pair.codec}`;
  for (const [side, r] of [
    ["platoon", ours],
    ["raw", theirs],
  ] as const) {
    if (!(r.bytes instanceof Uint8Array)) throw new Error(`${what}: ${side} made no bytes`);
    if (!isDeepStrictEqual(r.back, pair.payload.value)) {
      throw new CodecError(`${what}: ${side} did not round-trip the payload`);
    }
  }
  if (pair.sameBody) {
    const body = ours.bytes.subarray(ours.bytes.length - theirs.bytes.length);
    if (!isDeepStrictEqual(new Uint8Array(body), new Uint8Array(theirs.bytes))) {
      throw new Error(`${what}: Platoon's body differs from the raw calls' bytes`);
    }
  }
  return { bytes: ours.bytes.length, rawBytes: theirs.bytes.length };
}

/**
 * Runs `fn` `n` times in batches, pushing each batch's wall-clock ms per op to `perOp`;
 * returns the process's CPU ms per op (user + system, all threads: GC included), which
 * time spent descheduled by other processes does not inflate.
 */
function timed(fn: RoundTrip, n: number, batch: number, perOp: number[]): number {
  let done = 0;
  const cpu = process.cpuUsage();
  let t = performance.now();
  while (done < n) {
    const k = Math.min(batch, n - done);
    for (let i = 0; i < k; i++) fn();
    const now = performance.now();
    perOp.push((now - t) / k);
    t = now;
    done += k;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Distribution-free 95% interval of the median: the order statistics n/2 ± 0.98·√n. */
function medianInterval(xs: number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const half = 0.98 * Math.sqrt(s.length);
  const lo = Math.max(0, Math.floor(s.length / 2 - half));
  const hi = Math.min(s.length - 1, Math.ceil(s.length / 2 + half) - 1);
  return [s[lo]!, s[hi]!];
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

const scenario: Scenario = {
  name: "codec",
  description:
    "encode+decode of a small object, a ~10 KB object and a 1 MiB binary: Platoon's codec (json, msgpack, msgpack+gzip) vs the raw JSON / msgpackr / fflate calls; sizes",
  async run(args) {
    const maxRounds = Number(args[0] ?? 201);
    const roundMs = Number(args[1] ?? 5);
    const filter = args[2] ?? "";
    const mine: Measurement[] = [];
    for (const payload of payloads()) {
      for (const pair of await pairs(payload)) {
        if (!`${payload.name}/${pair.codec}`.includes(filter)) continue;
        const { bytes, rawBytes } = check(pair);
        const sides = [pair.platoon, pair.raw];
        // Warm up both (JIT, msgpackr's record readers), then size the rounds.
        const estimate: number[] = [];
        for (const s of sides) {
          const t0 = performance.now();
          let k = 0;
          while (performance.now() - t0 < Math.max(200, roundMs * 4)) {
            s.run();
            k++;
          }
          estimate.push((performance.now() - t0) / k);
        }
        const opMs = Math.max(...estimate);
        // Batches of ~0.1 ms give the latency percentiles.
        const n = Math.max(1, Math.round(roundMs / opMs));
        const batch = Math.max(1, Math.round(0.1 / opMs));
        const rounds = Math.min(maxRounds, Math.max(21, Math.floor(8000 / (2 * n * opMs))));
        const perOp: [number[], number[]] = [[], []];
        const times: [number[], number[]] = [[], []];
        const ratios: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const order = r % 2 ? [1, 0] : [0, 1];
          const t: number[] = [0, 0];
          for (const i of order) t[i] = timed(sides[i]!.run, n, batch, perOp[i as 0 | 1]);
          times[0].push(t[0]!);
          times[1].push(t[1]!);
          ratios.push(t[0]! / t[1]!);
        }
        sides.forEach((s, i) => {
          const ms = median(times[i as 0 | 1]);
          const p = percentiles(perOp[i as 0 | 1]);
          const m = report({
            scenario: "codec",
            system: s.system,
            n: n * rounds,
            // From the median round's CPU time per op, like the ratios.
            ops_per_s: 1000 / ms,
            p50_ms: p.p50,
            p99_ms: p.p99,
            rss_mb: rssMb(),
            payload: payload.name,
            codec: pair.codec,
            encoded_bytes: i === 0 ? bytes : rawBytes,
            cpu_us_per_op: round3(ms * 1000),
            rounds,
          });
          if (i === 0) mine.push(m);
        });
        const ratio = median(ratios);
        console.log(
          JSON.stringify({
            scenario: "codec",
            payload: payload.name,
            system: pair.platoon.system,
            vs: pair.raw.system,
            // As elsewhere in the bench: Platoon's rate over the peer's (1 = parity).
            ratio: round3(1 / ratio),
            overhead_pct: round1((ratio - 1) * 100),
            bytes,
            vs_bytes: rawBytes,
            rounds,
            // 95% confidence interval of the median overhead (order statistics).
            overhead_ci95_pct: medianInterval(ratios).map((r) => round1((r - 1) * 100)),
          }),
        );
      }
    }
    // Only Platoon's lines: main's all-pairs ratios would compare across payloads.
    return mine;
  },
};
export default scenario;
