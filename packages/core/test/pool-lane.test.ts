import { describe, expect, it } from "vitest";
import { createPool, InlineExecutor, type JobView, RemoteError, task } from "../src/index.ts";
import * as tasks from "./fixtures/tasks.ts";

/** The direct lane: inline pools run without a broker or a codec. */
describe("pool direct lane", () => {
  it("is used for inline pools and passes values by reference", async () => {
    const box = { seen: 0 };
    const mod = { touch: task("touch", (b: typeof box) => b) };
    const pool = await createPool<typeof mod>({ tasks: mod });
    expect(pool.mode).toBe("direct");
    expect(await pool.run("touch", box)).toBe(box);
    await pool.close();
  });

  it("encodes through a broker when a serializer is named, or for other executors", async () => {
    const pool = await createPool<typeof tasks>({ tasks, serializer: "json" });
    expect(pool.mode).toBe("broker");
    expect(await pool.run("add", { a: 1, b: 2 })).toBe(3);
    await pool.close();
    const own = await createPool<typeof tasks>({
      tasks,
      executor: new InlineExecutor({ capacity: 2 }),
    });
    expect(own.mode).toBe("direct");
    expect(own.metrics().concurrency).toBe(2);
    await own.close();
  });

  it("times out an attempt, retries it, then fails with a TaskTimedOut RemoteError", async () => {
    const timeouts: string[] = [];
    const pool = await createPool<typeof tasks>({
      tasks,
      hooks: { onTimeout: (job) => void timeouts.push(job.task) },
    });
    const error = (await pool
      .run("slow", 10_000, { timeoutMs: 20 })
      .catch((e) => e)) as RemoteError;
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.fault).toBe("TaskTimedOut");
    expect(error.message).toMatch(/gave up after 2 of 2 attempts/);
    const m = pool.metrics();
    expect(m.timedOut).toBe(2);
    expect(m.retried).toBe(1);
    expect(m.deadLettered).toBe(1);
    expect(timeouts).toEqual(["slow", "slow"]);
    await pool.close();
  });

  it("runs higher priorities first and holds delayed jobs until they are due", async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const mod = {
      hold: task("hold", () => gate),
      mark: task("mark", (label: string) => void order.push(label)),
    };
    const pool = await createPool<typeof mod>({ tasks: mod, concurrency: 1 });
    const held = pool.run("hold", undefined);
    const started = Date.now();
    const all = Promise.all([
      pool.run("mark", "late", { delayMs: 30 }),
      pool.run("mark", "low", { priority: -1 }),
      pool.run("mark", "normal"),
      pool.run("mark", "high", { priority: 5 }),
    ]);
    release();
    await held;
    await all;
    expect(order).toEqual(["high", "normal", "low", "late"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(29);
    await pool.close();
  });

  it("applies the task's backoff, custom backoff and ctx actions", async () => {
    const pool = await createPool<typeof tasks>({ tasks });
    expect(await pool.run("flaky", 2)).toMatchObject({ attempt: 3 });
    expect(await pool.run("customBackoff", null)).toBe(2);
    expect(await pool.run("retryMe", null)).toBe(2);
    expect(await pool.run("requeueOnce", "lane")).toEqual({ attempt: 1, runs: 2 });
    const m = pool.metrics();
    expect(m.retried).toBe(4);
    expect(m.requeued).toBe(1);
    expect(m.completed).toBe(4);
    await pool.close();
  });

  it("does not retry a PermanentError and fires onFailure then onMaxRetries", async () => {
    const events: string[] = [];
    const pool = await createPool<typeof tasks>({
      tasks,
      hooks: {
        onFailure: (job: JobView) => void events.push(`failure ${job.task} ${job.attempt}`),
        onMaxRetries: (job: JobView) => void events.push(`dead ${job.task}`),
        onSuccess: (job: JobView) => void events.push(`ok ${job.task} ${String(job.input)}`),
      },
    });
    await expect(pool.run("permanent", undefined, { attempts: 5 })).rejects.toThrow(/never works/);
    await pool.run("noop", 7);
    expect(events).toEqual(["failure permanent 1", "dead permanent", "ok noop 7"]);
    await pool.close();
  });

  it("dead-letters an unknown task with the names it knows", async () => {
    const pool = await createPool<typeof tasks>({ tasks });
    const error = await pool.run("nope" as "noop", 1).catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.fault).toBe("UnknownTask");
    expect(error.message).toMatch(/known: add, noop/);
    expect(pool.metrics().deadLettered).toBe(1);
    await pool.close();
  });

  it("lets a task enqueue a follow-up that inherits its trace id", async () => {
    const traces: string[] = [];
    const pool = await createPool<typeof tasks>({
      tasks,
      hooks: { onSuccess: (job) => void (job.task === "echoTrace" && traces.push(job.traceId!)) },
    });
    const out = await pool.run("spawnChild", 1, { traceId: "trace-1" });
    expect(out.trace).toBe("trace-1");
    expect(typeof out.id).toBe("string");
    await expect.poll(() => traces).toEqual(["trace-1"]);
    await pool.close();
  });

  it("stopWorker closes the pool: the job and later ones reject as CLOSED", async () => {
    const pool = await createPool<typeof tasks>({ tasks });
    await expect(pool.run("stopper", null)).rejects.toThrow(/pool closed/);
    await expect(pool.run("noop", 1)).rejects.toThrow(/closed/);
    expect(pool.metrics().state).toBe("stopped");
  });

  it("close() lets running tasks finish; not graceful, it aborts them", async () => {
    const mod = {
      wait: task(
        "wait",
        (ms: number, ctx) =>
          new Promise<string>((resolve, reject) => {
            const t = setTimeout(() => resolve("finished"), ms);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(t);
              reject(new Error("aborted"));
            });
          }),
      ),
    };
    const graceful = await createPool<typeof mod>({ tasks: mod, concurrency: 1 });
    const running = graceful.run("wait", 20);
    const queued = graceful.run("wait", 20).catch((e: Error) => e.message);
    await graceful.close();
    expect(await running).toBe("finished");
    expect(await queued).toMatch(/closed before this job finished/);

    const forced = await createPool<typeof mod>({ tasks: mod });
    let aborted = false;
    const cut = forced.run("wait", 60_000).catch((e: Error) => {
      aborted = true;
      return e.message;
    });
    await forced.close({ graceful: false });
    expect(await cut).toMatch(/closed before this job finished/);
    expect(aborted).toBe(true);
  });

  it("map() over an async iterable, as completed, and an early break closes the inputs", async () => {
    const pool = await createPool<typeof tasks>({ tasks, maxQueue: 4 });
    async function* numbers() {
      for (let i = 0; i < 20; i++) yield i;
    }
    const seen: number[] = [];
    for await (const v of pool.map("noop", numbers(), { ordered: false })) seen.push(v);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);

    let closed = false;
    function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const v of pool.map("noop", endless())) if (v === 10) break;
    expect(closed).toBe(true);
    expect(pool.outstanding).toBe(0);
    await pool.close();
  });

  it("run() waits for room when maxQueue jobs are outstanding", async () => {
    let running = 0;
    let peak = 0;
    const mod = {
      nap: task("nap", async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
      }),
    };
    const pool = await createPool<typeof mod>({ tasks: mod, concurrency: 8, maxQueue: 3 });
    const outstanding: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        await pool.run("nap", undefined);
        outstanding.push(pool.outstanding);
      }),
    );
    expect(Math.max(...outstanding)).toBeLessThanOrEqual(3);
    expect(peak).toBeLessThanOrEqual(3);
    expect(pool.metrics().completed).toBe(30);
    await pool.close();
  });
});
