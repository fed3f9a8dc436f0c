import { createPool } from "@platoon/core";
import PQueue from "p-queue";
import { type Measurement, percentiles, report, rssMb } from "../measure.ts";
import type { Scenario } from "../scenario.ts";
import * as tasks from "../tasks/noop-tasks.ts";

/**
 * 1,000,000 no-op tasks through an in-process queue at concurrency 50, with at most
 * 10,000 submitted and unfinished at once (both systems get the same backpressure).
 * Platoon runs with retries (attempts: 3), results and metrics on, with the same async
 * no-op as p-queue (and once more with a plain function, which skips a promise per job).
 */
const CONCURRENCY = 50;
const WINDOW = Number(process.env.WINDOW ?? 10_000);
const SAMPLE_EVERY = 100;

async function platoon(n: number, name: "noop" | "noopAsync"): Promise<Measurement> {
  const pool = await createPool<typeof tasks>({
    tasks,
    concurrency: CONCURRENCY,
    maxQueue: WINDOW,
  });
  const latencies: number[] = [];
  const started = performance.now();
  let done = 0;
  let i = 0;
  const inputs = function* () {
    for (; i < n; i++) yield i;
  };
  for await (const value of pool.map(name, inputs(), { attempts: 3 })) {
    if (value !== done) throw new Error(`wrong result ${value} for ${done}`);
    done++;
  }
  const seconds = (performance.now() - started) / 1000;
  // Latency is sampled apart from the throughput run: one task at a time through the pool.
  for (let k = 0; k < n / SAMPLE_EVERY / 10; k++) {
    const t = performance.now();
    await pool.run(name, k);
    latencies.push(performance.now() - t);
  }
  const metrics = pool.metrics();
  await pool.close();
  if (metrics.completed < n) throw new Error(`only ${metrics.completed} of ${n} completed`);
  const p = percentiles(latencies);
  return report({
    scenario: "inproc",
    system: name === "noop" ? "platoon (sync task)" : "platoon",
    n,
    ops_per_s: n / seconds,
    p50_ms: p.p50,
    p99_ms: p.p99,
    rss_mb: rssMb(),
  });
}

async function pQueue(n: number): Promise<Measurement> {
  const queue = new PQueue({ concurrency: CONCURRENCY });
  const noop = async (x: number) => x;
  const latencies: number[] = [];
  const started = performance.now();
  let done = 0;
  for (let i = 0; i < n; i++) {
    if (queue.size + queue.pending >= WINDOW) await queue.onSizeLessThan(WINDOW - CONCURRENCY);
    void queue
      .add(() => noop(i))
      .then(() => {
        done++;
      });
  }
  await queue.onIdle();
  const seconds = (performance.now() - started) / 1000;
  if (done !== n) throw new Error(`p-queue finished ${done} of ${n}`);
  for (let k = 0; k < n / SAMPLE_EVERY / 10; k++) {
    const t = performance.now();
    await queue.add(() => noop(k));
    latencies.push(performance.now() - t);
  }
  const p = percentiles(latencies);
  return report({
    scenario: "inproc",
    system: "p-queue",
    n,
    ops_per_s: n / seconds,
    p50_ms: p.p50,
    p99_ms: p.p99,
    rss_mb: rssMb(),
  });
}

const scenario: Scenario = {
  name: "inproc",
  description:
    "1M no-op tasks in process, concurrency 50: Platoon pool (inline executor) vs p-queue",
  async run(args) {
    const n = Number(args[0] ?? 1_000_000);
    const results: Measurement[] = [];
    results.push(await pQueue(n));
    // Like with like: p-queue runs an async function, so the headline runs one too.
    results.push(await platoon(n, "noopAsync"));
    results.push(await platoon(n, "noop"));
    return results;
  },
};
export default scenario;
