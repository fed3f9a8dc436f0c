import { parseArgs } from "node:util";
import { runFleet } from "./fleet.ts";
import { table } from "./progress.ts";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "2" },
    jobs: { type: "string", default: "20000" },
    batch: { type: "string", default: "250" },
    concurrency: { type: "string", default: "100" },
    rounds: { type: "string", default: "10" },
    queue: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`platoon redis-fleet sample: a producer and N worker processes through Redis,
msgpack + gzip on the wire.

  --workers N       worker processes to start (default 2; 0: only workers started
                    elsewhere with \`npm run worker\` serve --queue)
  --jobs N          digest jobs to run (default 20000)
  --batch N         jobs per enqueueMany call (default 250)
  --concurrency N   jobs each worker holds at once (default 100)
  --rounds N        SHA-256 rounds per job (default 10)
  --queue NAME      queue (default: a fresh redis-fleet:<run id>)

  REDIS_URL         a Redis to use; without it a throwaway redis-server is started
                    on a free port of 127.0.0.1 and stopped at the end`);
  process.exit(0);
}

const numbers: Record<string, number> = {};
for (const name of ["workers", "jobs", "batch", "concurrency", "rounds"] as const) {
  const n = Number(values[name]);
  if (!(Number.isInteger(n) && (n > 0 || (n === 0 && name === "workers")))) {
    console.error(`--${name} must be a positive integer, got ${values[name]}`);
    process.exit(2);
  }
  numbers[name] = n;
}

// Ctrl-C: the workers get SIGINT from the terminal too and stop themselves; this stops
// the run, waits for them and stops the throwaway server.
const abort = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => abort.abort(new Error(`stopped by ${signal}`)));
}

const redisUrl = process.env.REDIS_URL;
console.log(
  `Hashing ${numbers.jobs!.toLocaleString()} documents on ${numbers.workers || "remote"} worker processes through ${redisUrl ?? "a throwaway redis-server"} (msgpack + gzip)`,
);
let summary: Awaited<ReturnType<typeof runFleet>>;
try {
  summary = await runFleet({
    ...(redisUrl ? { redisUrl } : {}),
    workers: numbers.workers!,
    jobs: numbers.jobs!,
    batch: numbers.batch!,
    concurrency: numbers.concurrency!,
    rounds: numbers.rounds!,
    ...(values.queue ? { queue: values.queue } : {}),
    out: process.stderr,
    signal: abort.signal,
  });
} catch (error) {
  console.error(`\nredis-fleet: ${(error as Error).message}`);
  process.exit(abort.signal.aborted ? 130 : 1);
}

const ms = (n: number) => n.toFixed(1);
const c = summary.codec;
const compressor =
  typeof c.compressor === "string"
    ? c.compressor
    : `${c.compressor?.name} (level ${c.compressor?.level}, bodies of ${c.compressor?.threshold} bytes and more)`;
console.log(`
codec      ${c.serializer} + ${compressor}
jobs       ${summary.completed} of ${summary.jobs} completed, ${summary.failed} failed, ${summary.wrong} wrong
time       ${summary.seconds.toFixed(2)} s from the first enqueue to the last result, ${summary.enqueueSeconds.toFixed(2)} s of it in enqueueMany
rate       ${Math.round(summary.jobsPerSecond)} jobs/s
`);
console.log(
  table(
    (["start", "done"] as const).map((kind) => ({
      lag: kind,
      "mean ms": ms(summary.lag[kind].meanMs),
      "p50 ms": ms(summary.lag[kind].p50Ms),
      "p99 ms": ms(summary.lag[kind].p99Ms),
    })),
  ),
);
console.log();
const share = (n: number) => `${((100 * n) / Math.max(1, summary.completed)).toFixed(1)}%`;
const started = new Set(summary.perWorker.map((w) => w.name));
const elsewhere = Object.entries(summary.byWorker).filter(([name]) => !started.has(name));
if (summary.perWorker.length > 0)
  console.log(
    table(
      summary.perWorker.map((w) => ({
        worker: w.name,
        pid: w.pid ?? "-",
        runtime: w.runtime ?? "-",
        jobs: w.completed,
        share: share(w.results),
        failed: w.failed,
        "stale settles": w.staleSettles,
        "queue lag mean ms": w.queueLag ? ms(w.queueLag.meanMs) : "-",
        "p99 ms": w.queueLag ? ms(w.queueLag.p99Ms) : "-",
        stopped: w.graceful ? "gracefully" : `exit ${w.signal ?? w.exitCode}`,
      })),
    ),
  );
if (elsewhere.length > 0) {
  console.log(`${summary.perWorker.length > 0 ? "\n" : ""}workers started elsewhere:\n`);
  console.log(table(elsewhere.map(([name, n]) => ({ worker: name, jobs: n, share: share(n) }))));
}
console.log(`
start lag: from the producer's enqueueMany call carrying the job to the task starting on a
worker (encoding, the enqueue round trip, waiting in Redis, reserve and prefetch).
done lag:  from that call to the producer holding the job's result (adds the run, the
settle and the result's way back through pub/sub).
queue lag: the workers' own count, from the job being ready in Redis to its start.`);
process.exit(summary.completed === summary.jobs && summary.wrong === 0 ? 0 : 1);
