import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { runDemo } from "./demo.ts";
import { EXECUTOR_KINDS, type ExecutorKind } from "./executors.ts";
import { table } from "./progress.ts";

const { values } = parseArgs({
  options: {
    executor: { type: "string", default: "process" },
    jobs: { type: "string", default: "2000" },
    workers: { type: "string", default: String(availableParallelism()) },
    span: { type: "string", default: "5000" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`platoon local-pool sample: counts primes over all cores, no broker.

  --executor process|thread|inline   where tasks run (default process)
  --jobs N                           prime-counting jobs (default 2000)
  --workers N                        workers (default: available cores)
  --span N                           numbers per job (default 5000)`);
  process.exit(0);
}
const executor = values.executor as ExecutorKind;
if (!EXECUTOR_KINDS.includes(executor)) {
  console.error(`unknown --executor ${values.executor}: use one of ${EXECUTOR_KINDS.join(", ")}`);
  process.exit(2);
}
const jobs = Number(values.jobs);
const workers = Number(values.workers);
const span = Number(values.span);
for (const [name, n] of [
  ["jobs", jobs],
  ["workers", workers],
  ["span", span],
] as const) {
  if (!(Number.isInteger(n) && n > 0)) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
}

console.log(
  `Counting primes below ${(jobs * span).toLocaleString()} in ${jobs} jobs on ${workers} ${executor} workers`,
);
const summary = await runDemo({ executor, jobs, workers, span, out: process.stderr });
const m = summary.metrics;
console.log(
  `\n${summary.primes.toLocaleString()} primes in ${summary.seconds.toFixed(2)} s (${Math.round(summary.jobsPerSecond)} jobs/s)`,
);
console.log(`crashing task: ${summary.crash}`);
console.log(`leaking task:  ${summary.leak}\n`);
console.log(
  table([
    {
      completed: m.completed,
      failed: m.failed,
      retried: m.retried,
      deadLettered: m.deadLettered,
      "p50 ms": m.duration.p50Ms.toFixed(2),
      "p99 ms": m.duration.p99Ms.toFixed(2),
    },
  ]),
);
console.log();
console.log(
  table(
    m.executor.workers.map((w) => ({
      worker: w.id,
      tasks: w.tasks,
      crashes: w.crashes,
      "memory kills": w.memoryKills,
      timeouts: w.timeouts,
      restarts: w.restarts,
      "rss MB": w.rssMb === undefined ? "-" : Math.round(w.rssMb),
      busy: `${Math.round(w.busyRatio * 100)}%`,
      "mean ms": w.taskTime.meanMs.toFixed(2),
    })),
  ),
);
