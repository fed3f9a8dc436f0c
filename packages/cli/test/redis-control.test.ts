import { createRedisBroker, type RedisBroker } from "@platoon/broker-redis";
import {
  attachControl,
  createController,
  createScheduler,
  createWorker,
  task,
} from "@platoon/core";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./helpers.ts";

const tasks = { noop: task("noop", (n: number) => n) };
let redis: RedisServer;
const brokers: RedisBroker[] = [];
const open = () => {
  const b = createRedisBroker({ url: redis.url });
  brokers.push(b);
  return b;
};

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const b of brokers) await b.close();
  await redis?.stop();
});

describe("Redis worker registry and control", () => {
  it("heartbeats, gone after the ttl, forget", async () => {
    const broker = open();
    await broker.heartbeatWorker({ id: "a", queues: ["q"], concurrency: 2, startedAt: 1 }, 150);
    const [a] = await broker.listWorkers();
    expect(a).toMatchObject({ id: "a", queues: ["q"], concurrency: 2, gone: false });
    expect(a!.lastSeen).toBeGreaterThan(0);
    await waitFor(async () => (await broker.listWorkers())[0]?.gone, 5_000, "gone");
    expect(await broker.forgetWorker("a")).toBe(true);
    expect(await broker.listWorkers()).toEqual([]);
  });

  it("controls workers in other connections: ping, status, pause/resume, concurrency, stop", async () => {
    const workers = await Promise.all(
      ["w1", "w2"].map(async (id) => {
        const worker = await createWorker({ broker: open(), tasks, queue: "rc", id, waitMs: 200 });
        await attachControl(worker, { heartbeatMs: 200 });
        return worker;
      }),
    );
    const controller = createController({ broker: open(), timeoutMs: 2_000 });
    expect((await controller.ping("*")).map((r) => r.workerId).sort()).toEqual(["w1", "w2"]);
    const status = await controller.status();
    expect(status.filter((w) => !w.gone).map((w) => w.id)).toEqual(["w1", "w2"]);
    await controller.pause("rc");
    expect(workers.map((w) => w.state)).toEqual(["paused", "paused"]);
    await controller.resume("rc");
    expect(workers.map((w) => w.state)).toEqual(["running", "running"]);
    await controller.setConcurrency("w2", 9);
    expect(workers[1]!.concurrency).toBe(9);
    expect(await controller.stop("*")).toHaveLength(2);
    await Promise.all(workers.map((w) => w.stopped));
    await waitFor(async () => (await open().listWorkers()).every((w) => w.id === "a"), 5_000);
  });

  it("three schedulers on one Redis enqueue exactly one job per tick", async () => {
    const schedulers = await Promise.all(
      [1, 2, 3].map(() => createScheduler({ broker: open(), queue: "sched", refreshMs: 100 })),
    );
    await schedulers[0]!.create({ id: "r1", task: "noop", every: 100, iterations: 15 });
    await schedulers[1]!.create({ id: "r2", task: "noop", cron: "* * * * * *", iterations: 2 });
    for (const s of schedulers) await s.start();
    const broker = open();
    await waitFor(
      async () => {
        const [a, b] = await Promise.all([broker.getSchedule("r1"), broker.getSchedule("r2")]);
        return a?.nextRunAt === null && b?.nextRunAt === null;
      },
      10_000,
      "schedules to end",
    );
    for (const s of schedulers) await s.stop();
    expect((await broker.stats("sched")).waiting).toBe(17);
    expect(schedulers.reduce((n, s) => n + s.fired, 0)).toBe(17);
  });
});
