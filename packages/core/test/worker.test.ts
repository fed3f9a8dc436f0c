import { describe, expect, it } from "vitest";
import {
  createClient,
  createWorker,
  type Delivery,
  type ErrorInfo,
  InlineExecutor,
  type JobView,
  MemoryBroker,
  RemoteError,
  type ReserveOptions,
  type Settlement,
  task,
} from "../src/index.ts";
import { setup } from "./helpers.ts";

const until = async (probe: () => boolean, what: string, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("worker", () => {
  it("retries with the task's backoff and succeeds on a later attempt", async () => {
    const retries: number[] = [];
    const { client, worker, stop } = await setup({
      hooks: { onRetry: (_job, _error, delayMs) => void retries.push(delayMs) },
    });
    expect(await client.run("flaky", 2)).toMatchObject({ attempt: 3 });
    expect(retries).toEqual([5, 5]);
    expect(worker.metrics()).toMatchObject({
      completed: 1,
      retried: 2,
      failed: 2,
      deadLettered: 0,
    });
    await stop();
  });

  it("dead-letters after the last attempt, with the error, and fires onMaxRetries", async () => {
    const dead: ErrorInfo[] = [];
    const { client, broker, queue, stop } = await setup({
      hooks: { onMaxRetries: (_j, e) => void dead.push(e) },
    });
    const job = await client.enqueue("flaky", 5);
    const error = await job.result().catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.message).toMatch(/gave up after 3 of 3 attempts/);
    const [letter] = await broker.listDead(queue);
    expect(letter).toMatchObject({ id: job.id, task: "flaky", attempt: 3 });
    expect(dead).toHaveLength(1);
    await stop();
  });

  it("dead-letters a PermanentError at once, whatever the attempts left", async () => {
    const { client, worker, stop } = await setup();
    await expect(client.run("permanent", undefined, { attempts: 5 })).rejects.toThrow(
      "never works",
    );
    expect(worker.metrics()).toMatchObject({ retried: 0, deadLettered: 1 });
    await stop();
  });

  it("times out a task, aborts its signal, retries it, then dead-letters it", async () => {
    const timeouts: JobView[] = [];
    const { client, worker, stop } = await setup({
      hooks: { onTimeout: (job) => void timeouts.push(job) },
    });
    const error = await client.run("slow", 10_000).catch((e: RemoteError) => e);
    expect((error as RemoteError).fault).toBe("TaskTimedOut");
    expect(timeouts.map((j) => j.attempt)).toEqual([1, 2]);
    expect(worker.metrics().timedOut).toBe(2);
    await stop();
  });

  it("lets a task ask for a retry, a requeue, and uses a custom backoff function", async () => {
    const requeued: string[] = [];
    const retryDelays: number[] = [];
    const { client, stop } = await setup({
      hooks: {
        onRequeue: (j) => void requeued.push(j.task),
        onRetry: (_j, _e, d) => void retryDelays.push(d),
      },
    });
    expect(await client.run("retryMe", null)).toBe(2);
    // A requeue does not count as an attempt: the second run is still attempt 1.
    expect(await client.run("requeueOnce", "k")).toEqual({ attempt: 1, runs: 2 });
    expect(requeued).toEqual(["requeueOnce"]);
    expect(await client.run("customBackoff", null)).toBe(2);
    expect(retryDelays).toEqual([1, 7]);
    await stop();
  });

  it("carries the trace id into jobs a task enqueues", async () => {
    const { client, stop } = await setup();
    const parent = await client.enqueue("spawnChild", 1, { traceId: "trace-42" });
    const { id, trace } = (await parent.result()) as { id: string; trace: string };
    expect(trace).toBe("trace-42");
    expect(await client.job(id).result({ timeoutMs: 5_000 })).toBe("trace-42");
    await stop();
  });

  it("dead-letters unknown tasks and undecodable payloads and keeps going", async () => {
    const { client, broker, queue, worker, stop } = await setup();
    await client.enqueue("nope" as never, 1 as never);
    await broker.enqueue(queue, [
      { id: "garbage", task: "noop", payload: new Uint8Array([1, 2, 3]) },
    ]);
    await until(() => worker.metrics().deadLettered === 2, "two dead letters");
    const dead = await broker.listDead(queue);
    expect(dead.map((d) => d.error.fault).sort()).toEqual(["UndecodablePayload", "UnknownTask"]);
    expect(dead.find((d) => d.id === "garbage")!.error.message).toMatch(/no Platoon codec header/);
    expect(await client.run("noop", 7)).toBe(7);
    await stop();
  });

  it("stops when a task asks, handing that job back", async () => {
    const { client, worker, broker, queue, stop } = await setup();
    const job = await client.enqueue("stopper", null);
    await worker.stopped;
    expect((await broker.getJob(queue, job.id))?.state).toBe("waiting");
    await stop();
  });

  it("graceful stop lets running jobs finish and hands prefetched ones back unrun", async () => {
    const broker = new MemoryBroker();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const tasks = {
      block: task("block", async (n: number) => {
        started++;
        await gate;
        return n;
      }),
    };
    const client = await createClient({ broker, queue: "g" });
    const handles = await client.enqueueMany("block", [1, 2, 3, 4, 5, 6]);
    const worker = await createWorker({ broker, tasks, queue: "g", concurrency: 2, prefetch: 2 });
    await until(
      () => started === 2 && worker.metrics().prefetched === 2,
      "two running, two prefetched",
    );
    const stopping = worker.stop();
    release();
    await stopping;
    expect(await handles[0]!.result()).toBe(1);
    expect(await handles[1]!.result()).toBe(2);
    const stats = await broker.stats("g");
    expect(stats).toMatchObject({ waiting: 4, active: 0 });
    const [again] = await broker.reserve("g", { max: 1, leaseMs: 1000 });
    expect(again!.attempt).toBe(1);
    expect(worker.state).toBe("stopped");
    await broker.close();
  });

  it("extends leases so a job longer than its lease is not delivered twice", async () => {
    const broker = new MemoryBroker();
    let runs = 0;
    const tasks = {
      long: task("long", async () => {
        runs++;
        // The task's running time (four leases); not a wait for something to happen.
        await new Promise((r) => setTimeout(r, 1_000));
        return runs;
      }),
    };
    const client = await createClient({ broker, queue: "l" });
    // Extended every third of the lease: a loaded machine may stall the event loop for a
    // while, so the lease leaves room for that (a 90 ms lease failed under load).
    const a = await createWorker({ broker, tasks, queue: "l", leaseMs: 250, concurrency: 1 });
    const b = await createWorker({
      broker,
      tasks,
      queue: "l",
      leaseMs: 250,
      concurrency: 1,
      waitMs: 20,
    });
    expect(await client.run("long", null)).toBe(1);
    expect(runs).toBe(1);
    await Promise.all([a.stop(), b.stop()]);
    await broker.close();
  });

  it("recovers a dead worker's job after its lease and refuses the zombie's settle", async () => {
    const broker = new MemoryBroker();
    const client = await createClient({ broker, queue: "z" });
    const job = await client.enqueue("noop", 3);
    // A "worker" that reserves and dies: it never settles.
    const [lost] = await broker.reserve("z", { max: 1, leaseMs: 50 });
    const worker = await createWorker({
      broker,
      tasks: await import("./fixtures/tasks.ts"),
      queue: "z",
      waitMs: 20,
    });
    expect(await job.result({ timeoutMs: 5_000 })).toBe(3);
    const zombie = await broker.settle("z", [
      { kind: "complete", id: lost!.id, token: lost!.token, result: new Uint8Array() },
    ]);
    expect(zombie[0]!.ok).toBe(false);
    await worker.stop();
    await broker.close();
  });

  it("fires onStarvation once per idle stretch, and onStop", async () => {
    const events: string[] = [];
    const { stop } = await setup({
      starvationMs: 30,
      waitMs: 20,
      hooks: {
        onStarvation: () => void events.push("starved"),
        onStop: () => void events.push("stop"),
      },
    });
    await until(() => events.includes("starved"), "starvation");
    await stop();
    expect(events.filter((e) => e === "starved")).toHaveLength(1);
    expect(events.at(-1)).toBe("stop");
  });

  it("reports metrics: counts, durations, queue lag, executor stats", async () => {
    const { client, worker, stop } = await setup();
    await Promise.all([1, 2, 3].map((n) => client.run("noop", n)));
    const m = worker.metrics();
    expect(m).toMatchObject({ completed: 3, inFlight: 0, state: "running", queue: "q" });
    expect(m.duration.count).toBe(3);
    expect(m.queueLag.count).toBe(3);
    expect(m.executor.kind).toBe("inline");
    expect(m.executor.workers[0]!.tasks).toBe(3);
    await stop();
  });

  it("pauses and resumes taking jobs", async () => {
    const { client, worker, broker, queue, stop } = await setup({ waitMs: 20 });
    worker.pause();
    const job = await client.enqueue("noop", 1);
    await new Promise((r) => setTimeout(r, 60)); // paused: nothing may run in this window
    expect((await broker.getJob(queue, job.id))?.state).toBe("waiting");
    worker.resume();
    expect(await job.result({ timeoutMs: 5_000 })).toBe(1);
    await stop();
  });

  it("encodes no result for a delivery its broker marks discardResult", async () => {
    // A broker that keeps no result for jobs named "drop*" says so on their deliveries.
    const sent = new Map<string, number>();
    class Marking extends MemoryBroker {
      override async reserve(queue: string, options: ReserveOptions): Promise<Delivery[]> {
        const ds = await super.reserve(queue, options);
        for (const d of ds) if (d.id.startsWith("drop")) d.discardResult = true;
        return ds;
      }
      override async settle(queue: string, settlements: Settlement[]) {
        for (const s of settlements) if (s.kind === "complete") sent.set(s.id, s.result.length);
        return super.settle(queue, settlements);
      }
    }
    const broker = new Marking();
    const queue = "discard";
    const tasks = { echo: task("echo", async (x: string) => x) };
    const client = await createClient({ broker, queue });
    await client.enqueue("echo", "kept", { id: "keep-1" });
    await client.enqueue("echo", "dropped", { id: "drop-1" });
    const worker = await createWorker({ broker, queue, tasks, waitMs: 20 });
    await until(() => sent.size === 2, "both settles");
    expect(sent.get("keep-1")).toBeGreaterThan(0);
    expect(sent.get("drop-1")).toBe(0);
    expect(worker.metrics().completed).toBe(2);
    await worker.stop();
    await broker.close();
  });

  it("stops within its grace when the broker hangs, leaving the unsettled job to its lease", async () => {
    let hang = false;
    class Hanging extends MemoryBroker {
      override settle(queue: string, settlements: Settlement[]) {
        // A broker that is down: the call keeps retrying and never answers.
        return hang ? new Promise<never>(() => {}) : super.settle(queue, settlements);
      }
    }
    const broker = new Hanging();
    const queue = "hangs";
    const tasks = { echo: task("echo", async (x: string) => x) };
    const client = await createClient({ broker, queue });
    const worker = await createWorker({ broker, queue, tasks, waitMs: 20 });
    hang = true;
    const job = await client.enqueue("echo", "x");
    await until(() => worker.metrics().completed === 1, "the job to run");
    let stopped = false;
    const stop = worker.stop({ timeoutMs: 200 }).then(() => {
      stopped = true;
    });
    await until(() => stopped, "stop to end", 10_000);
    await stop;
    // Its completion never reached the broker: the lease still holds it, for recovery.
    expect((await broker.getJob(queue, job.id))?.state).toBe("active");
    await broker.close();
  });

  it("refuses bad options with clear errors", async () => {
    const broker = new MemoryBroker();
    await expect(createWorker({ broker } as never)).rejects.toThrow(/tasks module/);
    await expect(
      createWorker({ broker, tasks: {}, executor: new InlineExecutor() }),
    ).rejects.toThrow(/exports no tasks/);
    await expect(
      createWorker({ broker, tasks: { t: task("t", () => 1) }, concurrency: 0 }),
    ).rejects.toThrow(/concurrency/);
    await broker.close();
  });
});
