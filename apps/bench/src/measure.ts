import { availableParallelism, hostname } from "node:os";

/** One JSON line per measurement; the README's tables are built from these. */
export interface Measurement {
  scenario: string;
  system: string;
  n: number;
  ops_per_s: number;
  p50_ms: number | null;
  p99_ms: number | null;
  rss_mb: number;
  [extra: string]: unknown;
}

export function report(m: Measurement): Measurement {
  const rounded = {
    ...m,
    ops_per_s: Math.round(m.ops_per_s),
    p50_ms: m.p50_ms === null ? null : round3(m.p50_ms),
    p99_ms: m.p99_ms === null ? null : round3(m.p99_ms),
    rss_mb: Math.round(m.rss_mb),
  };
  console.log(JSON.stringify(rounded));
  return rounded;
}

/** Prints Platoon's ops/s over each peer's, measured in the same run. */
export function reportRatios(scenario: string, results: Measurement[], ours = "platoon"): void {
  const mine = results.filter((r) => r.system.startsWith(ours));
  const peers = results.filter((r) => !r.system.startsWith(ours));
  for (const a of mine) {
    for (const b of peers) {
      // Like with like only: scenarios that measure several things tag each with a metric.
      if (b.ops_per_s <= 0 || a.metric !== b.metric) continue;
      console.log(
        JSON.stringify({
          scenario,
          system: a.system,
          vs: b.system,
          ratio: round3(a.ops_per_s / b.ops_per_s),
        }),
      );
    }
  }
}

export function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

/** Percentiles of a latency sample, in ms. */
export function percentiles(samples: number[]): { p50: number | null; p99: number | null } {
  if (samples.length === 0) return { p50: null, p99: null };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

export function machine(): Record<string, unknown> {
  return { host: hostname(), node: process.version, cpus: availableParallelism() };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
