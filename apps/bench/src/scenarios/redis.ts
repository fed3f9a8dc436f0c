import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { availableParallelism, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createRedisBroker } from "@platoon/broker-redis";
import { createClient, createWorker, type Settlement, task } from "@platoon/core";
import BeeQueue from "bee-queue";
import { Queue as BullQueue, Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";
import { type Measurement, report, rssMb } from "../measure.ts";
import type { Scenario } from "../scenario.ts";

/**
 * Platoon's Redis broker against BullMQ and Bee-Queue on one throwaway redis-server, with
 * the same payload for all: bulk enqueue rate, drain rate of no-op jobs with one worker
 * process, and Redis memory per waiting job. `redis-benchmark` (LPUSH, pipelined 32) gives
 * the ceiling.
 *
 * Platoon's figures are the real path: `createClient().enqueueMany` (codec and all) and
 * `createWorker` with the inline executor at `--concurrency` (prefetch defaults to the
 * same, so the worker reserves in batches of that size, two in flight). The peers run at
 * `--peer-concurrency` (50, as in the field notes). A direct broker.enqueue + raw
 * settleAndReserve loop (`--batch`, `--loops`) is reported too, labelled "raw": it shows
 * the broker alone, without the worker runtime.
 *
 * `--warmup N` first runs every system once on N jobs, untimed (default 0: the timed round
 * is each system's first, JIT warm-up included).
 *
 *   npm run bench -- redis [--jobs 100000] [--concurrency 1000] [--peer-concurrency 50]
 *                          [--batch 1000] [--loops 2] [--warmup 0]
 */
const scenario: Scenario = {
  name: "redis",
  description: "Redis queues: bulk enqueue, no-op processing, memory per waiting job",
  async run(args) {
    const opt = (name: string, fallback: number) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? Number(args[i + 1]) : fallback;
    };
    const n = opt("jobs", 100_000);
    const batch = opt("batch", 1_000);
    const loops = opt("loops", 2);
    const concurrency = opt("concurrency", 1_000);
    const peerConcurrency = opt("peer-concurrency", 50);
    const warmup = opt("warmup", 0);
    const server = await startServer();
    const admin = new Redis(server.port, "127.0.0.1");
    const out: Measurement[] = [];
    const base = {
      scenario: "redis",
      n,
      p50_ms: null,
      p99_ms: null,
      host: hostname(),
      node: process.version,
      cpus: availableParallelism(),
    };
    try {
      out.push(
        report({
          ...base,
          system: "redis-benchmark lpush -P 32 (ceiling)",
          metric: "ceiling",
          n: 200_000,
          ops_per_s: redisBenchmark(server.port),
          rss_mb: rssMb(),
        }),
      );
      const systems: [string, (jobs: number, m: Metric) => Promise<void>][] = [
        ["platoon", (jobs, m) => platoon(server.port, jobs, concurrency, admin, m)],
        ["platoon raw", (jobs, m) => platoonRaw(server.port, jobs, batch, loops, m)],
        ["bullmq", (jobs, m) => bullmq(server.port, jobs, peerConcurrency, admin, m)],
        ["bee-queue", (jobs, m) => beeQueue(server.port, jobs, peerConcurrency, admin, m)],
      ];
      for (const [system, run] of systems) {
        await admin.flushall();
        // Optional, the same for every system: a first round, untimed, so the timed one
        // measures warm code (the JIT has compiled the hot paths) rather than start-up.
        if (warmup > 0) await run(warmup, () => {});
        await admin.flushall();
        await run(n, (metric, ops, extra = {}) => {
          out.push(
            report({
              ...base,
              system: `${system} ${metric}`,
              metric,
              ops_per_s: ops,
              rss_mb: rssMb(),
              ...(warmup > 0 ? { warmup } : {}),
              ...extra,
            }),
          );
        });
      }
      // The harness prints Platoon over each peer per metric (for memory, bytes per waiting
      // job, so at most 1 is the target); the raw loop is compared with the peers here.
      const ratio = (metric: string, mine: string, peerMetric = metric) => {
        const m = out.find((x) => x.metric === metric && x.system === `${mine} ${metric}`);
        for (const peer of out.filter(
          (x) => x.metric === peerMetric && !x.system.startsWith("platoon"),
        )) {
          if (m && peer.ops_per_s > 0)
            console.log(
              JSON.stringify({
                scenario: "redis",
                metric,
                system: m.system,
                vs: peer.system,
                ratio: Math.round((m.ops_per_s / peer.ops_per_s) * 100) / 100,
              }),
            );
        }
      };
      ratio("enqueue-raw", "platoon raw", "enqueue");
      ratio("process-raw", "platoon raw", "process");
    } finally {
      admin.disconnect();
      server.stop();
    }
    return out;
  },
};
export default scenario;

type Metric = (metric: string, ops: number, extra?: object) => void;
const payloadOf = (i: number) => ({ i, name: "no-op", at: 1_700_000_000_000 + i });

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

/**
 * The real path: createClient().enqueueMany (codec and all) and createWorker with the
 * inline executor. Finished when the broker holds none of the jobs (polled from a broker of
 * its own, so the polls never queue behind the worker's calls).
 */
async function platoon(
  port: number,
  n: number,
  concurrency: number,
  admin: Redis,
  metric: Metric,
): Promise<void> {
  const url = `redis://127.0.0.1:${port}`;
  const broker = createRedisBroker({ url });
  const probe = createRedisBroker({ url });
  const queue = "bench";
  const tasks = { noop: task("noop", async () => {}) };
  // Peers remove finished jobs here too: no results kept.
  const client = await createClient({ broker, queue, resultTtlMs: 0 });
  await broker.stats(queue); // connect and load scripts before the clock starts
  await probe.stats(queue);
  const mem0 = await usedMemory(admin);
  let t0 = performance.now();
  // Built inside the timed call and not kept afterwards, as for the peers.
  await client.enqueueMany(
    "noop",
    Array.from({ length: n }, (_, i) => payloadOf(i)),
  );
  let s = (performance.now() - t0) / 1000;
  const perJob = ((await usedMemory(admin)) - mem0) / n;
  metric("enqueue", n / s, {
    via: "createClient().enqueueMany",
    bytes_per_waiting_job: Math.round(perJob),
  });
  metric("memory", Math.round(perJob), { note: "ops_per_s holds bytes per waiting job" });

  t0 = performance.now();
  const worker = await createWorker({
    broker,
    tasks,
    queue,
    concurrency,
    leaseMs: 60_000,
  });
  for (;;) {
    const st = await probe.stats(queue);
    if (st.waiting + st.active === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  s = (performance.now() - t0) / 1000;
  const m = worker.metrics();
  if (m.completed !== n) throw new Error(`platoon completed ${m.completed} of ${n}`);
  metric("process", n / s, {
    via: "createWorker, inline executor",
    concurrency,
    prefetch: concurrency,
  });
  await worker.stop();
  await broker.close();
  await probe.close();
}

/** The broker alone: broker.enqueue of encoded jobs, then raw settleAndReserve loops. */
async function platoonRaw(
  port: number,
  n: number,
  batch: number,
  loops: number,
  metric: Metric,
): Promise<void> {
  const broker = createRedisBroker({ url: `redis://127.0.0.1:${port}` });
  const enc = new TextEncoder();
  const q = "bench-raw";
  const prefix = Math.random().toString(36).slice(2, 12);
  const jobs = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i.toString(36)}`,
    task: "noop",
    payload: enc.encode(JSON.stringify(payloadOf(i))),
    resultTtlMs: 0,
  }));
  await broker.stats(q);
  let t0 = performance.now();
  await broker.enqueue(q, jobs);
  let s = (performance.now() - t0) / 1000;
  metric("enqueue-raw", n / s, { via: "broker.enqueue (no codec)" });

  const empty = new Uint8Array(0);
  let done = 0;
  t0 = performance.now();
  const loop = async () => {
    let pending: Settlement[] = [];
    for (;;) {
      const { deliveries } = await broker.settleAndReserve(q, pending, {
        max: batch,
        leaseMs: 60_000,
      });
      done += pending.length;
      if (deliveries.length === 0) return;
      pending = deliveries.map((d) => ({
        kind: "complete",
        id: d.id,
        token: d.token,
        result: empty,
      }));
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  s = (performance.now() - t0) / 1000;
  if (done !== n) throw new Error(`platoon raw processed ${done} of ${n}`);
  metric("process-raw", n / s, { via: "settleAndReserve loop, not the worker", batch, loops });
  await broker.close();
}

async function bullmq(
  port: number,
  n: number,
  concurrency: number,
  admin: Redis,
  metric: Metric,
): Promise<void> {
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const queue = new BullQueue("bench", { connection });
  await queue.waitUntilReady();
  const mem0 = await usedMemory(admin);
  let t0 = performance.now();
  await queue.addBulk(
    Array.from({ length: n }, (_, i) => ({
      name: "noop",
      data: payloadOf(i),
      opts: { removeOnComplete: true, removeOnFail: true },
    })),
  );
  let s = (performance.now() - t0) / 1000;
  const perJob = ((await usedMemory(admin)) - mem0) / n;
  metric("enqueue", n / s, { bytes_per_waiting_job: Math.round(perJob) });
  metric("memory", Math.round(perJob), { note: "ops_per_s holds bytes per waiting job" });

  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => {
    finish = r;
  });
  t0 = performance.now();
  const worker = new BullWorker("bench", async () => {}, { connection, concurrency });
  worker.on("completed", () => {
    if (++done === n) finish();
  });
  await all;
  s = (performance.now() - t0) / 1000;
  metric("process", n / s, { concurrency });
  await worker.close();
  await queue.close();
}

async function beeQueue(
  port: number,
  n: number,
  concurrency: number,
  admin: Redis,
  metric: Metric,
): Promise<void> {
  const redis = { host: "127.0.0.1", port };
  const producer = new BeeQueue("bench", {
    redis,
    isWorker: false,
    getEvents: false,
    sendEvents: false,
  });
  await producer.ready();
  const mem0 = await usedMemory(admin);
  let t0 = performance.now();
  await producer.saveAll(Array.from({ length: n }, (_, i) => producer.createJob(payloadOf(i))));
  let s = (performance.now() - t0) / 1000;
  const perJob = ((await usedMemory(admin)) - mem0) / n;
  metric("enqueue", n / s, { bytes_per_waiting_job: Math.round(perJob) });
  metric("memory", Math.round(perJob), { note: "ops_per_s holds bytes per waiting job" });

  const worker = new BeeQueue("bench", {
    redis,
    removeOnSuccess: true,
    getEvents: false,
    sendEvents: false,
  });
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => {
    finish = r;
  });
  worker.on("succeeded", () => {
    if (++done === n) finish();
  });
  t0 = performance.now();
  worker.process(concurrency, async () => {});
  await all;
  s = (performance.now() - t0) / 1000;
  metric("process", n / s, { concurrency });
  await worker.close();
  await producer.close();
}

function redisBenchmark(port: number): number {
  const r = spawnSync(
    "redis-benchmark",
    ["-p", String(port), "-t", "lpush", "-P", "32", "-n", "200000", "-q"],
    {
      encoding: "utf8",
    },
  );
  const m = /([\d.]+) requests per second/.exec(`${r.stdout}`.split("\r").pop() ?? "");
  return m ? Number(m[1]) : 0;
}

interface Server {
  port: number;
  stop(): void;
}

/** A throwaway redis-server on a free port; never the machine's 6379. */
async function startServer(): Promise<Server> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), "platoon-bench-redis-"));
  const proc: ChildProcess = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { stdio: "ignore" },
  );
  const stop = () => {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; !(await ping(port)); i++) {
    if (i > 200 || proc.exitCode !== null) {
      stop();
      throw new Error("redis-server did not start");
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { port, stop };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => done(String(chunk).startsWith("+PONG")));
  });
}
