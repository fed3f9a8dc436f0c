/**
 * One worker process of the fleet: `tsx --conditions=source src/worker.ts --redis URL
 * --queue NAME [--concurrency N] [--name NAME]` (or `deno run -A …`, `bun
 * --conditions=source …`); REDIS_URL, FLEET_QUEUE, FLEET_CONCURRENCY and FLEET_WORKER
 * work too. Takes jobs from the queue until SIGTERM or SIGINT (or, with
 * --stop-on-stdin-end, the end of its stdin), then stops gracefully: prefetched jobs go
 * back to the queue, running ones finish and are settled.
 *
 * It reports to its parent in JSON lines on stdout: `{"fleet":"ready",…}` once it takes
 * jobs, `{"fleet":"stopped",…}` with its metrics once it has stopped.
 */
import { parseArgs } from "node:util";
import { createRedisBroker } from "@platoon/broker-redis";
import { createWorker, InlineExecutor } from "@platoon/core";
import { DEFAULT_QUEUE, FLEET_CODEC } from "./codec.ts";
import { runtime } from "./processes.ts";

const { values } = parseArgs({
  options: {
    redis: { type: "string" },
    queue: { type: "string" },
    concurrency: { type: "string" },
    name: { type: "string" },
    "stop-on-stdin-end": { type: "boolean", default: false },
  },
});

const url = values.redis ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const queue = values.queue ?? process.env.FLEET_QUEUE ?? DEFAULT_QUEUE;
const concurrency = Number(values.concurrency ?? process.env.FLEET_CONCURRENCY ?? 100);
const name = values.name ?? process.env.FLEET_WORKER ?? `pid-${process.pid}`;
if (!(Number.isInteger(concurrency) && concurrency > 0)) {
  console.error(`--concurrency must be a positive integer, got ${concurrency}`);
  process.exit(2);
}

function report(message: Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write(`${JSON.stringify(message)}\n`, () => resolve());
  });
}

// The tasks module reads the name at import (results say which worker ran them).
process.env.FLEET_WORKER = name;
const tasks = await import("./tasks.ts");

const broker = createRedisBroker({ url });
const worker = await createWorker({
  broker,
  tasks,
  queue,
  concurrency,
  // Tasks run on this process's thread: the fleet's parallelism is its processes.
  executor: new InlineExecutor({ capacity: concurrency }),
  id: name,
  ...FLEET_CODEC,
});

let stopping: Promise<void> | undefined;
function stop(why: string): Promise<void> {
  stopping ??= (async () => {
    try {
      await worker.stop({ graceful: true, timeoutMs: 10_000 });
      await broker.close();
    } catch (error) {
      console.error(`worker ${name}: stop failed:`, error);
      process.exit(1);
    }
    const m = worker.metrics();
    await report({
      fleet: "stopped",
      name,
      pid: process.pid,
      runtime,
      why,
      completed: m.completed,
      failed: m.failed,
      retried: m.retried,
      deadLettered: m.deadLettered,
      requeued: m.requeued,
      staleSettles: m.staleSettles,
      queueLag: m.queueLag,
      duration: m.duration,
    });
    process.exit(0);
  })();
  return stopping;
}

// A second Ctrl-C does not wait: a stop can take a while when Redis is unreachable (the
// broker retries for its retryWindowMs before it gives up). A SIGTERM during a stop
// changes nothing (main.ts sends one after the terminal's SIGINT).
process.on("SIGINT", () => {
  if (stopping) process.exit(130);
  void stop("SIGINT");
});
process.on("SIGTERM", () => void stop("SIGTERM"));
if (values["stop-on-stdin-end"]) {
  // The parent (main.ts) holds our stdin: if it dies, so do we (no orphaned workers).
  process.stdin.on("end", () => void stop("stdin closed"));
  process.stdin.on("error", () => void stop("stdin closed"));
  process.stdin.resume();
}

await report({ fleet: "ready", name, pid: process.pid, runtime, queue, concurrency });
