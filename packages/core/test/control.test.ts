import { afterEach, describe, expect, it } from "vitest";
import {
  attachControl,
  createController,
  createWorker,
  MemoryBroker,
  type Worker,
} from "../src/index.ts";
import * as tasks from "./fixtures/tasks.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function fleet(n: number, queues: string[] = ["q"]) {
  let now = Date.now();
  const broker = new MemoryBroker({ now: () => now });
  cleanups.push(() => broker.close());
  const workers: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const worker = await createWorker({
      broker,
      tasks,
      queue: queues[i % queues.length]!,
      concurrency: 2,
      id: `w${i}`,
      waitMs: 50,
    });
    cleanups.push(() => worker.stop());
    await attachControl(worker, { heartbeatMs: 1_000, host: "test-host" });
    workers.push(worker);
  }
  const controller = createController({ broker, timeoutMs: 500 });
  return { broker, workers, controller, advance: (ms: number) => (now += ms) };
}

describe("worker registry (memory broker)", () => {
  it("lists heartbeating workers, marks expired ones gone and forgets", async () => {
    const broker = new MemoryBroker({ now: () => 1_000 });
    await broker.heartbeatWorker({ id: "a", queues: ["q"], concurrency: 1, startedAt: 1 }, 100);
    expect(await broker.listWorkers()).toEqual([
      { id: "a", queues: ["q"], concurrency: 1, startedAt: 1, lastSeen: 1_000, gone: false },
    ]);
    let now = 1_000;
    const b2 = new MemoryBroker({ now: () => now });
    await b2.heartbeatWorker({ id: "a", queues: ["q"], concurrency: 1, startedAt: 1 }, 100);
    now += 150;
    expect((await b2.listWorkers())[0]?.gone).toBe(true);
    expect(await b2.forgetWorker("a")).toBe(true);
    expect(await b2.listWorkers()).toEqual([]);
    await broker.close();
    await b2.close();
  });
});

describe("remote control", () => {
  it("registers workers with host, pid, queue, concurrency and metrics", async () => {
    const { broker } = await fleet(2);
    const list = await broker.listWorkers();
    expect(list.map((w) => w.id).sort()).toEqual(["w0", "w1"]);
    const w0 = list.find((w) => w.id === "w0")!;
    expect(w0).toMatchObject({ host: "test-host", queues: ["q"], concurrency: 2, gone: false });
    expect(typeof w0.pid).toBe("number");
    expect((w0.info!.metrics as { workerId: string }).workerId).toBe("w0");
  });

  it("ping answers from one worker or all", async () => {
    const { controller } = await fleet(3);
    const all = await controller.ping("*");
    expect(all.map((r) => r.workerId).sort()).toEqual(["w0", "w1", "w2"]);
    const one = await controller.ping("w1");
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ workerId: "w1", ok: true });
    expect(await controller.ping("nobody", { timeoutMs: 50 })).toEqual([]);
  });

  it("status merges fresh metrics with the registry and shows gone workers", async () => {
    const { controller, broker, workers, advance } = await fleet(2);
    const client = await import("../src/index.ts").then((m) =>
      m.createClient<typeof tasks>({ broker, queue: "q" }),
    );
    await Promise.all([1, 2, 3].map((n) => client.run("noop", n)));
    const status = await controller.status();
    const done = status.reduce(
      (sum, w) => sum + (w.info!.metrics as { completed: number }).completed,
      0,
    );
    expect(done).toBe(3);
    // A worker whose heartbeats stopped reads as gone.
    await broker.heartbeatWorker({ id: "dead", queues: ["q"], concurrency: 1, startedAt: 0 }, 10);
    advance(20);
    const later = await controller.status({ timeoutMs: 200 });
    expect(later.find((w) => w.id === "dead")?.gone).toBe(true);
    expect(later.filter((w) => !w.gone).map((w) => w.id)).toEqual(["w0", "w1"]);
    expect(workers).toHaveLength(2);
  });

  it("pauses and resumes a queue, including for workers attached later", async () => {
    const { controller, broker, workers } = await fleet(2, ["a", "b"]);
    const replies = await controller.pause("a", { timeoutMs: 100 });
    expect(replies.map((r) => r.workerId)).toEqual(["w0"]);
    expect(workers[0]!.state).toBe("paused");
    expect(workers[1]!.state).toBe("running");
    expect(await controller.isPaused("a")).toBe(true);
    const late = await createWorker({ broker, tasks, queue: "a", id: "late", waitMs: 50 });
    cleanups.push(() => late.stop());
    await attachControl(late, { heartbeatMs: 1_000 });
    expect(late.state).toBe("paused");
    await controller.resume("a", { timeoutMs: 100 });
    expect(workers[0]!.state).toBe("running");
    expect(late.state).toBe("running");
    expect(await controller.isPaused("a")).toBe(false);
  });

  it("changes a worker's concurrency", async () => {
    const { controller, workers, broker } = await fleet(1);
    const [reply] = await controller.setConcurrency("w0", 7);
    expect(reply).toMatchObject({ ok: true, data: { concurrency: 7 } });
    expect(workers[0]!.concurrency).toBe(7);
    await expect.poll(async () => (await broker.listWorkers())[0]?.concurrency).toBe(7);
    await expect(controller.setConcurrency("w0", 0)).rejects.toThrow(/positive/);
  });

  it("stops gracefully and kills; stopped workers leave the registry", async () => {
    let killed = false;
    const broker = new MemoryBroker();
    cleanups.push(() => broker.close());
    const a = await createWorker({ broker, tasks, queue: "q", id: "a", waitMs: 50 });
    const b = await createWorker({ broker, tasks, queue: "q", id: "b", waitMs: 50 });
    await attachControl(a, { heartbeatMs: 1_000 });
    await attachControl(b, {
      heartbeatMs: 1_000,
      onKill: () => {
        killed = true;
      },
    });
    const controller = createController({ broker, timeoutMs: 500 });
    expect(await controller.stop("a")).toMatchObject([{ workerId: "a", ok: true }]);
    await a.stopped;
    expect(await controller.kill("b")).toMatchObject([{ workerId: "b", ok: true }]);
    await b.stopped;
    await expect.poll(() => killed).toBe(true);
    await expect.poll(async () => (await broker.listWorkers()).length).toBe(0);
  });

  it("a stop to all reaches every worker", async () => {
    const { controller, workers } = await fleet(3);
    const replies = await controller.stop("*");
    expect(replies).toHaveLength(3);
    await Promise.all(workers.map((w) => w.stopped));
  });
});
