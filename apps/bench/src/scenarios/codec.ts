import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { AdapterRegistry, type Codec, CodecError, createCodec } from "@platoon/core";
import { MSGPACK_WIRE_OPTIONS } from "@platoon/serializer-msgpack";
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
 * Each pair runs in child processes of its own (3 by default, pooled), the two sides
 * interleaved, in alternating order, in rounds of about `roundMs` of work each (~3 s of
 * rounds per process). A round's time is the process's CPU time per op (being descheduled
 * by other processes on a shared machine does not count; GC threads do), closed by a
 * minor GC so each side pays for its own young garbage. A round's ratio is Platoon's time
 * over the raw calls' in the same round; the reported overhead is the median of all
 * rounds' ratios, with a 95% confidence interval of that median and each process's own
 * median. Args: `[processes=3] [roundMs=50] [filter]`, the filter matching
 * "payload/codec", e.g. `small` or `1mb-binary/msgpack`.
 */

const THRESHOLD = 1024;
const LEVEL = 6;

/** Platoon's msgpack wire options, so the raw baseline packs exactly what Platoon packs. */
const MSGPACK_OPTIONS: Options = { ...MSGPACK_WIRE_OPTIONS };

interface Payload {
  name: string;
  value: unknown;
}

const PAYLOADS = ["small", "10kb", "1mb-binary"];
const CODECS = ["json", "msgpack", "msgpack+gzip"];

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

type Loop = (fn: RoundTrip, k: number) => void;

/**
 * A loop of its own for each side: compiled from source, so neither side's call site is
 * shared with (and made polymorphic by) the other's.
 */
function ownLoop(): Loop {
  return new Function("fn", "k", "for (let i = 0; i < k; i++) fn();") as Loop;
}

/**
 * Runs `fn` `n` times in batches, pushing each batch's wall-clock ms per op to `perOp`;
 * returns the process's CPU ms per op (user + system, all threads: GC included), which
 * time spent descheduled by other processes does not inflate.
 */
function timed(loop: Loop, fn: RoundTrip, n: number, batch: number, perOp: number[]): number {
  let done = 0;
  const cpu = process.cpuUsage();
  let t = performance.now();
  while (done < n) {
    const k = Math.min(batch, n - done);
    loop(fn, k);
    const now = performance.now();
    perOp.push((now - t) / k);
    t = now;
    done += k;
  }
  // Each side pays for collecting its own young garbage (a minor GC, ~0.1 ms), instead of
  // leaving it to land in the other side's round.
  (globalThis as { gc?: (o: object) => void }).gc?.({ type: "minor" });
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

/** What one child process measured of one pair. */
interface PairSample {
  payload: string;
  codec: string;
  platoon: string;
  raw: string;
  bytes: number;
  rawBytes: number;
  n: number;
  /** CPU ms per op of each round, Platoon's then the raw calls'. */
  times: [number[], number[]];
  /** Wall ms per op of each batch, for the latency percentiles. */
  perOp: [number[], number[]];
}

const scenario: Scenario = {
  name: "codec",
  description:
    "encode+decode of a small object, a ~10 KB object and a 1 MiB binary: Platoon's codec (json, msgpack, msgpack+gzip) vs the raw JSON / msgpackr / fflate calls; sizes",
  async run(args) {
    const processes = Number(args[0] ?? 3);
    const roundMs = Number(args[1] ?? 50);
    const filter = args[2] ?? "";
    if (filter.startsWith("=")) {
      // A child: measure one pair, hand the samples to the parent (flushed before main
      // exits: stdout is a pipe, written asynchronously).
      const line = `${JSON.stringify(await measurePair(filter.slice(1), roundMs))}\n`;
      await new Promise((resolve) => process.stdout.write(line, resolve));
      return [];
    }
    // Each pair runs in processes of its own: the JIT then sees one codec and one set of
    // raw calls, as a worker with one codec configuration does, and no pair inherits
    // another's garbage or deoptimizations. Several processes per pair, pooled: figures
    // from one process differ from the next by a few points (JIT and heap layout), more
    // than the rounds within one process do.
    const main = fileURLToPath(new URL("../main.ts", import.meta.url));
    const mine: Measurement[] = [];
    for (const payload of PAYLOADS) {
      for (const codec of CODECS) {
        const name = `${payload}/${codec}`;
        if (!name.includes(filter)) continue;
        const samples: PairSample[] = [];
        for (let i = 0; i < processes; i++) {
          const child = spawnSync(
            process.execPath,
            [...process.execArgv, "--expose-gc", main, "codec", "1", String(roundMs), `=${name}`],
            { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 },
          );
          if (child.status !== 0) throw new Error(`codec ${name} failed (exit ${child.status})`);
          samples.push(JSON.parse(child.stdout.trim().split("\n").pop()!) as PairSample);
        }
        mine.push(reportPair(samples));
      }
    }
    // Only Platoon's lines: main's all-pairs ratios would compare across payloads.
    return mine;
  },
};

function reportPair(samples: PairSample[]): Measurement {
  const first = samples[0]!;
  const ratiosOf = (s: PairSample) => s.times[0].map((t, r) => t / s.times[1][r]!);
  const ratios = samples.flatMap(ratiosOf);
  const rounds = ratios.length;
  const lines: Measurement[] = [0, 1].map((i) => {
    const times = samples.flatMap((s) => s.times[i]!);
    const cpuMs = median(times);
    const p = percentiles(samples.flatMap((s) => s.perOp[i]!));
    return report({
      scenario: "codec",
      system: i === 0 ? first.platoon : first.raw,
      n: samples.reduce((sum, s) => sum + s.n * s.times[i]!.length, 0),
      // From the median round's CPU time per op, like the ratios.
      ops_per_s: 1000 / cpuMs,
      p50_ms: p.p50,
      p99_ms: p.p99,
      rss_mb: rssMb(),
      payload: first.payload,
      codec: first.codec,
      encoded_bytes: i === 0 ? first.bytes : first.rawBytes,
      cpu_us_per_op: round3(cpuMs * 1000),
      rounds,
      processes: samples.length,
    });
  });
  const ratio = median(ratios);
  console.log(
    JSON.stringify({
      scenario: "codec",
      payload: first.payload,
      system: first.platoon,
      vs: first.raw,
      // As elsewhere in the bench: Platoon's rate over the peer's (1 = parity).
      ratio: round3(1 / ratio),
      overhead_pct: round1((ratio - 1) * 100),
      bytes: first.bytes,
      vs_bytes: first.rawBytes,
      rounds,
      // 95% confidence interval of the median overhead (order statistics), and each
      // process's own median: how far apart separate runs land.
      overhead_ci95_pct: medianInterval(ratios).map((r) => round1((r - 1) * 100)),
      per_process_pct: samples.map((s) => round1((median(ratiosOf(s)) - 1) * 100)),
    }),
  );
  return lines[0]!;
}

async function measurePair(name: string, roundMs: number): Promise<PairSample> {
  const [payloadName, codecName] = name.split("/");
  const payload = payloads().find((p) => p.name === payloadName);
  const pair = payload && (await pairs(payload)).find((p) => p.codec === codecName);
  if (!pair) throw new Error(`no codec pair ${name}`);
  const { bytes, rawBytes } = check(pair);
  const sides = [pair.platoon, pair.raw];
  const loops = [ownLoop(), ownLoop()];
  // Warm up both (JIT, msgpackr's record readers), then size the rounds.
  const estimate: number[] = [];
  for (const s of sides) {
    const t0 = performance.now();
    let k = 0;
    while (performance.now() - t0 < Math.max(300, roundMs * 4)) {
      s.run();
      k++;
    }
    estimate.push((performance.now() - t0) / k);
  }
  const opMs = Math.max(...estimate);
  const n = Math.max(1, Math.round(roundMs / opMs));
  // Batches of ~0.1 ms give the latency percentiles.
  const batch = Math.max(1, Math.round(0.1 / opMs));
  // About 3 s per process, at least 15 rounds.
  const rounds = Math.max(15, Math.floor(3000 / (2 * n * opMs)));
  const perOp: [number[], number[]] = [[], []];
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 ? [1, 0] : [0, 1]) {
      times[i as 0 | 1].push(timed(loops[i]!, sides[i]!.run, n, batch, perOp[i as 0 | 1]));
    }
  }
  return {
    payload: pair.payload.name,
    codec: pair.codec,
    platoon: pair.platoon.system,
    raw: pair.raw.system,
    bytes,
    rawBytes,
    n,
    times,
    perOp,
  };
}
export default scenario;
