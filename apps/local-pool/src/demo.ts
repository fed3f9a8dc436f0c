import { createPool } from "@platoon/core";
import { type ExecutorKind, makeExecutor } from "./executors.ts";
import { Progress } from "./progress.ts";
import type * as Tasks from "./tasks.ts";

export interface DemoOptions {
  executor: ExecutorKind;
  /** Prime-counting jobs to run. */
  jobs: number;
  workers: number;
  /** Numbers per job. */
  span: number;
  out?: { write(text: string): unknown; isTTY?: boolean };
}

export interface DemoSummary {
  executor: ExecutorKind;
  jobs: number;
  primes: number;
  seconds: number;
  jobsPerSecond: number;
  crash: string;
  leak: string;
  metrics: Awaited<ReturnType<Awaited<ReturnType<typeof createPool>>["metrics"]>>;
}

const tasksModule = new URL("./tasks.ts", import.meta.url).href;

/** Spreads prime counting over the pool, and survives a crashing and a leaking task. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const executor = makeExecutor(options.executor, options.workers);
  const tasks = options.executor === "inline" ? await import("./tasks.ts") : tasksModule;
  const pool = await createPool<typeof Tasks>({ tasks, executor, maxQueue: options.workers * 64 });
  try {
    const started = performance.now();
    // The two faults go first, one after the other, so each is seen on its own.
    const crash =
      options.executor === "inline"
        ? "skipped: the inline executor shares this process, a crash would end it"
        : await pool.run("crashOnce", null);
    const leak =
      options.executor === "inline"
        ? "skipped: the inline executor shares this process's memory"
        : await pool.run("leakOnce", null);
    const progress = options.out ? new Progress(options.jobs, options.out) : undefined;
    const ranges = function* () {
      for (let i = 0; i < options.jobs; i++)
        yield { from: i * options.span, to: (i + 1) * options.span };
    };
    let primes = 0;
    for await (const count of pool.map("countPrimes", ranges())) {
      primes += count;
      progress?.tick();
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      executor: options.executor,
      jobs: options.jobs,
      primes,
      seconds,
      jobsPerSecond: options.jobs / seconds,
      crash: String(crash),
      leak: String(leak),
      metrics: pool.metrics(),
    };
  } finally {
    await pool.close();
  }
}
