import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { availableParallelism, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createRedisBroker } from "@platoon/broker-redis";
import type { Settlement } from "@platoon/core";
import * as core from "@platoon/core";
import BeeQueue from "bee-queue";
import { Queue as BullQueue, Worker as BullWorker } from "bullmq";
import { Redis } from "ioredis";
import { type Measurement, report, rssMb } from "../measure.ts";
import type { Scenario } from "../scenario.ts";

/**
 * Platoon's Redis broker against BullMQ and Bee-Queue on one throwaway redis-server:
 * bulk enqueue rate, drain rate of no-op jobs with one worker process, and Redis memory
 * per waiting job. `redis-benchmark` (LPUSH, pipelined 32) gives the ceiling.
 *
 *   npm run bench -- redis [--jobs 100000] [--batch 1000] [--loops 2]
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
      const systems: [
        string,
        (m: (metric: string, ops: number, extra?: object) => void) => Promise<void>,
      ][] = [
        ["platoon", (m) => platoon(server.port, n, batch, loops, admin, m)],
        ["platoon worker", (m) => platoonWorker(server.port, n, m)],
        ["bullmq", (m) => bullmq(server.port, n, admin, m)],
        ["bee-queue", (m) => beeQueue(server.port, n, admin, m)],
      ];
      for (const [system, run] of systems) {
        await admin.flushall();
        await run((metric, ops, extra = {}) => {
          out.push(
            report({
              ...base,
              system: `${system} ${metric}`,
              metric,
              ops_per_s: ops,
              rss_mb: rssMb(),
              ...extra,
            }),
          );
        });
      }
      // Like with like: the ratios that the targets are about.
      for (const metric of ["enqueue", "process"]) {
        const mine = out.filter((m) => m.metric === metric && m.system.startsWith("platoon"));
        for (const peer of out.filter(
          (m) => m.metric === metric && !m.system.startsWith("platoon"),
        )) {
          for (const m of mine)
            if (peer.ops_per_s > 0)
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
      }
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

async function platoon(
  port: number,
  n: number,
  batch: number,
  loops: number,
  admin: Redis,
  metric: Metric,
): Promise<void> {
  const broker = createRedisBroker({ url: `redis://127.0.0.1:${port}` });
  const enc = new TextEncoder();
  const q = "bench";
  const prefix = Math.random().toString(36).slice(2, 12);
  const jobs = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i.toString(36)}`,
    task: "noop",
    payload: enc.encode(JSON.stringify(payloadOf(i))),
    resultTtlMs: 0, // peers remove finished jobs here too
  }));
  await broker.stats(q); // connect and load scripts before the clock starts
  const mem0 = await usedMemory(admin);
  let t0 = performance.now();
  await broker.enqueue(q, jobs);
  let s = (performance.now() - t0) / 1000;
  const perJob = ((await usedMemory(admin)) - mem0) / n;
  metric("enqueue", n / s, { bytes_per_waiting_job: Math.round(perJob) });
  metric("memory", Math.round(perJob), { note: "ops_per_s holds bytes per waiting job" });

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
  if (done !== n) throw new Error(`platoon processed ${done} of ${n}`);
  metric("process", n / s, { batch, loops });
  await broker.close();
}

/**
 * Through the core runtime: createClient enqueues (codec and all), createWorker drains with
 * the inline executor. Skipped while @platoon/core does not export them.
 */
async function platoonWorker(port: number, n: number, metric: Metric): Promise<void> {
  const api = core as unknown as Record<string, any>;
  if (typeof api.createWorker !== "function" || typeof api.createClient !== "function") {
    console.error("platoon worker: @platoon/core has no createWorker yet; skipped");
    return;
  }
  const broker = createRedisBroker({ url: `redis://127.0.0.1:${port}` });
  const queue = "bench-worker";
  const tasks = { noop: api.task("noop", async () => {}) };
  const client = await api.createClient({ broker, queue, resultTtlMs: 0 });
  let t0 = performance.now();
  await client.enqueueMany(
    "noop",
    Array.from({ length: n }, (_, i) => payloadOf(i)),
  );
  let s = (performance.now() - t0) / 1000;
  metric("enqueue", n / s, { via: "createClient().enqueueMany" });
  t0 = performance.now();
  const worker = await api.createWorker({
    broker,
    tasks,
    queue,
    concurrency: 1000,
    leaseMs: 60_000,
  });
  for (;;) {
    const st = await broker.stats(queue);
    if (st.waiting + st.active === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  s = (performance.now() - t0) / 1000;
  metric("process", n / s, { via: "createWorker", concurrency: 1000 });
  await worker.stop();
  await broker.close();
}

async function bullmq(port: number, n: number, admin: Redis, metric: Metric): Promise<void> {
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
  const worker = new BullWorker("bench", async () => {}, { connection, concurrency: 50 });
  worker.on("completed", () => {
    if (++done === n) finish();
  });
  await all;
  s = (performance.now() - t0) / 1000;
  metric("process", n / s, { concurrency: 50 });
  await worker.close();
  await queue.close();
}

async function beeQueue(port: number, n: number, admin: Redis, metric: Metric): Promise<void> {
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
  worker.process(50, async () => {});
  await all;
  s = (performance.now() - t0) / 1000;
  metric("process", n / s, { concurrency: 50 });
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
