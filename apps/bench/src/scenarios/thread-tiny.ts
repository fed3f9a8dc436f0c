import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createCodec } from "@platoon/core";
import { ThreadExecutor } from "@platoon/executor-thread";
import Piscina from "piscina";
import Tinypool from "tinypool";
import workerpool from "workerpool";
import { type Measurement, report, rssMb } from "../measure.ts";
import type { Scenario } from "../scenario.ts";

const require = createRequire(import.meta.url);
const WORKERS = 2;

/** The tasks module every Platoon scenario runs (add1, fib, …), shipped with the testkit. */
export function platoonTasksModule(): string {
  return pathToFileURL(
    join(require.resolve("@platoon/testkit/package.json"), "..", "fixtures", "executor-tasks.mjs"),
  ).href;
}

/** Writes the peers' worker files: each peer wants a file of its own shape. */
export function peerWorkerFiles(body: string): { esm: string; workerpool: string } {
  const dir = mkdtempSync(join(tmpdir(), "platoon-bench-"));
  const esm = join(dir, "peer-task.mjs");
  writeFileSync(esm, `${body}\nexport default task;\n`);
  const wp = join(dir, "workerpool-task.cjs");
  writeFileSync(
    wp,
    `${body}\nrequire(${JSON.stringify(require.resolve("workerpool"))}).worker({ task });\n`,
  );
  return { esm, workerpool: wp };
}

/** Runs `n` tasks through `run`, all submitted at once, and reports ops/s. */
export async function throughput(
  scenario: string,
  system: string,
  n: number,
  run: (i: number) => Promise<unknown>,
  check: (results: unknown[]) => void,
  extra: Record<string, unknown> = {},
): Promise<Measurement> {
  const warm = await Promise.all(Array.from({ length: Math.min(2000, n) }, (_, i) => run(i)));
  check(warm);
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => run(i)));
  const ms = performance.now() - t0;
  check(results);
  return report({
    scenario,
    system,
    n,
    ops_per_s: (n / ms) * 1000,
    p50_ms: null,
    p99_ms: null,
    rss_mb: rssMb(),
    workers: WORKERS,
    ...extra,
  });
}

export async function platoonThroughput(
  scenario: string,
  executor: ThreadExecutor | import("@platoon/core").Executor,
  task: string,
  n: number,
  input: (i: number) => unknown,
  expected: (i: number) => unknown,
  system = `platoon-${executor.kind}`,
): Promise<Measurement> {
  const codec = await createCodec();
  await executor.start({ tasksModule: platoonTasksModule(), codec, codecSpec: codec.spec() });
  try {
    return await throughput(
      scenario,
      system,
      n,
      async (i) => {
        const outcome = await executor.execute({
          jobId: `b${i}`,
          queue: "bench",
          task,
          payload: codec.encode(input(i)) as Uint8Array,
          attempt: 1,
          maxAttempts: 1,
        });
        if (outcome.status !== "ok") throw new Error(`task failed: ${JSON.stringify(outcome)}`);
        return codec.decode(outcome.result);
      },
      (results) => {
        for (let i = 0; i < results.length; i++) {
          if (results[i] !== expected(i)) throw new Error(`wrong result at ${i}: ${results[i]}`);
        }
      },
    );
  } finally {
    await executor.close();
  }
}

const tiny: Scenario = {
  name: "thread-tiny",
  description: `100,000 x+1 tasks on ${WORKERS} worker threads: Platoon vs Piscina, Tinypool, workerpool`,
  async run(args) {
    const n = Number(args[0] ?? 100_000);
    const name = "thread-tiny";
    const files = peerWorkerFiles("function task(x) { return x + 1; }");
    const check = (results: unknown[]) => {
      for (let i = 0; i < results.length; i++)
        if (results[i] !== (i % results.length) + 1 && results[i] !== i + 1)
          throw new Error(`wrong result ${results[i]} at ${i}`);
    };
    const out: Measurement[] = [];
    out.push(
      await platoonThroughput(
        name,
        new ThreadExecutor({ size: WORKERS }),
        "add1",
        n,
        (i) => i,
        (i) => i + 1,
      ),
    );
    const piscina = new Piscina({ filename: files.esm, minThreads: WORKERS, maxThreads: WORKERS });
    out.push(await throughput(name, "piscina", n, (i) => piscina.run(i), check));
    await piscina.destroy();
    const tinypool = new Tinypool({
      filename: files.esm,
      minThreads: WORKERS,
      maxThreads: WORKERS,
    });
    out.push(await throughput(name, "tinypool", n, (i) => tinypool.run(i), check));
    await tinypool.destroy();
    const wp = workerpool.pool(files.workerpool, { maxWorkers: WORKERS, workerType: "thread" });
    out.push(await throughput(name, "workerpool-thread", n, (i) => wp.exec("task", [i]), check));
    await wp.terminate();
    return out;
  },
};

export default tiny;
