import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@platoon/testkit";
import { describe, it, type TestContext } from "vitest";
import { ThreadExecutor, type ThreadExecutorOptions } from "../src/index.ts";
import { decoded, faultOf, fixtureTasks, startWith, sum, tsTasks } from "./helpers.ts";

/**
 * A pool of its own for one test, closed when the test ends. One thread unless a test
 * needs two: starting a thread (and tsx in it) is the slow part.
 */
function pool(ctx: TestContext, options: ThreadExecutorOptions = {}) {
  const executor = new ThreadExecutor({ size: 1, ...options });
  ctx.onTestFinished(() => executor.close());
  return executor;
}

// Every case has its own pool, so they run side by side: most of their time is spent
// waiting for threads to start, die or be terminated.
describe.concurrent("ThreadExecutor", () => {
  it("spreads a shallow stream of jobs over idle threads, not onto one busy thread", async (ctx) => {
    // A caller that keeps as many jobs outstanding as there are threads (the core worker
    // at its default concurrency): each new job must go to the thread that is free.
    const executor = pool(ctx, { size: 2 });
    const { run } = await startWith(executor, fixtureTasks);
    let next = 0;
    const lane = async () => {
      while (next < 200) {
        next++;
        await run("fib", 18);
      }
    };
    await Promise.all([lane(), lane()]);
    const tasks = executor.stats().workers.map((w) => w.tasks);
    ctx.expect(tasks.reduce((a, b) => a + b, 0)).toBe(200);
    // Each thread keeps one job and gets the next when it frees up, so its share follows
    // its speed (other tests' threads compete for the cores here). Sending to a busy
    // thread instead left the other with its first job only.
    for (const n of tasks) ctx.expect(n).toBeGreaterThan(10);
  });

  it("loads a TypeScript tasks module", async (ctx) => {
    const executor = pool(ctx);
    const { codec, manifest, run } = await startWith(executor, tsTasks);
    ctx.expect(Object.keys(manifest)).toContain("norm");
    ctx.expect(await decoded(codec, await run("norm", { x: 3, y: 4 }))).toBe(5);
  });

  it("kills a thread whose heap passes maxMemoryMb: MemoryLimitExceeded, then recovers", async (ctx) => {
    const executor = pool(ctx, { maxMemoryMb: 64, memoryCheckIntervalMs: 50 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const outcome = await run("leak", { mb: 8, maxMb: 2048 });
    ctx.expect(faultOf(outcome)).toBe("MemoryLimitExceeded");
    if (outcome.status === "error") ctx.expect(outcome.error.retryable).toBe(true);
    ctx.expect(sum(executor, "memoryKills")).toBe(1);
    ctx.expect(await decoded(codec, await run("add1", 1))).toBe(2);
  });

  it("counts ArrayBuffer memory: a task leaking typed arrays is killed, its neighbours are not", async (ctx) => {
    // Typed arrays live outside the V8 heap (resourceLimits never see them); the thread
    // measures heap + external memory itself every few ms while the task awaits.
    const executor = pool(ctx, { maxMemoryMb: 160 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const leak = run("leakBuffers", { mb: 16, maxMb: 4096 });
    const innocent = Array.from({ length: 20 }, (_, i) => run("add1", i));
    const outcome = await leak;
    ctx.expect(faultOf(outcome)).toBe("MemoryLimitExceeded");
    if (outcome.status === "error") ctx.expect(outcome.error.message).toContain("leakBuffers");
    const values = await Promise.all(innocent.map(async (o) => decoded(codec, await o)));
    ctx.expect(values).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Killed among the others (all suspects), then alone (guilty).
    ctx.expect(executor.stats().workers[0]).toMatchObject({ memoryKills: 2, failures: 1 });
  });

  it("terminates a task that ignores SIGTERM and loops at its deadline", async (ctx) => {
    const executor = pool(ctx, { timeoutGraceMs: 20 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const outcome = await run("stubborn", null, { deadline: Date.now() + 200 });
    ctx.expect(faultOf(outcome)).toBe("TaskTimedOut");
    ctx.expect(await decoded(codec, await run("add1", 1))).toBe(2);
    ctx.expect(executor.stats().workers[0]).toMatchObject({ timeouts: 1, restarts: 1 });
  });

  it("isolates suspects on the dead thread's seat: regular jobs keep flowing on the others", async (ctx) => {
    const executor = pool(ctx, { size: 2 });
    const { codec } = await startWith(executor, fixtureTasks);
    const request = async (task: string, input: unknown) => ({
      jobId: `${task}-${input}`,
      queue: "test",
      task,
      payload: await codec.encode(input),
      attempt: 1,
      maxAttempts: 1,
    });
    // Queued together, split evenly: thread 1 gets the crasher and three naps, thread 2 four add1.
    const first = await Promise.all([
      request("exit", { code: 9 }),
      ...[1, 2, 3].map(() => request("nap", { ms: 300 })),
      ...[1, 2, 3, 4].map((i) => request("add1", i)),
    ]);
    const outcomes = first.map((r) => executor.execute(r));
    await waitFor(() => sum(executor, "crashes") >= 1, { what: "the first crash" });
    // The four on thread 1 are suspects, run one by one on seat 1 (two respawns and
    // 900 ms of naps); meanwhile regular jobs are batched on thread 2.
    let suspectsSettled = 0;
    for (const o of outcomes.slice(0, 4)) void Promise.resolve(o).then(() => suspectsSettled++);
    const regular = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => executor.execute(await request("add1", i))),
    );
    ctx.expect(suspectsSettled).toBe(0);
    ctx.expect(regular.every((o) => o.status === "ok")).toBe(true);
    ctx.expect(executor.stats().workers[1]!.tasks).toBe(204);
    const settled = await Promise.all(outcomes);
    ctx.expect(settled.map(faultOf)).toEqual(["WorkerCrashed", ...Array(7).fill(undefined)]);
    ctx.expect(executor.stats().workers.map((w) => w.crashes)).toEqual([2, 0]);
  });

  it("replaces a thread that dies of an uncaught error outside any task", async (ctx) => {
    const executor = pool(ctx);
    const { codec, run } = await startWith(executor, tsTasks);
    ctx.expect(await decoded(codec, await run("throwLater", null))).toBe("returned first");
    await waitFor(() => sum(executor, "crashes") === 1, { what: "the crash", timeoutMs: 10_000 });
    ctx.expect(await decoded(codec, await run("norm", { x: 0, y: 2 }))).toBe(2);
  });

  it("recycles a thread after maxTasksPerWorker tasks", async (ctx) => {
    const executor = pool(ctx, { maxTasksPerWorker: 3 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    for (let i = 0; i < 7; i++) ctx.expect(await decoded(codec, await run("add1", i))).toBe(i + 1);
    ctx.expect(sum(executor, "restarts")).toBe(2);
    ctx.expect(sum(executor, "crashes")).toBe(0);
  });

  it("runs the init hook once per thread with the parent's data", async (ctx) => {
    const executor = pool(ctx, { init: { data: { region: "eu" } } });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const seen = (await decoded(codec, await run("initData", null))) as {
      data: unknown;
      workerId: number;
    };
    ctx.expect(seen.data).toEqual({ region: "eu" });
    ctx.expect(seen.workerId).toBe(1);
  });

  it("backs off when respawned threads keep failing to load, and recovers", async (ctx) => {
    const flag = join(tmpdir(), `platoon-fail-${process.pid}-${Date.now()}`);
    ctx.onTestFinished(() => rmSync(flag, { force: true }));
    // The flag reaches only this pool's threads (other cases run meanwhile).
    const executor = pool(ctx, {
      respawnDelayMs: 25,
      env: { ...process.env, PLATOON_TEST_FAIL_FLAG: flag },
    });
    const { codec, run } = await startWith(executor, tsTasks);
    writeFileSync(flag, "");
    ctx.expect(faultOf(await run("exit", { code: 1 }))).toBe("WorkerCrashed");
    const pending = run("norm", { x: 1, y: 0 });
    await waitFor(() => sum(executor, "restarts") >= 3, { what: "respawns", timeoutMs: 10_000 });
    // Backoff doubles (25, 50, 100 ms…): no respawn storm.
    ctx.expect(sum(executor, "restarts")).toBeLessThan(8);
    rmSync(flag);
    ctx.expect(await decoded(codec, await pending)).toBe(1);
  });

  it("reports stats per thread", async (ctx) => {
    const executor = pool(ctx, { size: 2 });
    const { run } = await startWith(executor, fixtureTasks);
    await Promise.all(Array.from({ length: 100 }, (_, i) => run("fib", 15 + (i % 3))));
    await run("fail", { message: "x" });
    const stats = executor.stats();
    ctx.expect(stats.kind).toBe("thread");
    ctx.expect(stats.queued).toBe(0);
    ctx.expect(stats.workers.map((w) => w.id)).toEqual([1, 2]);
    ctx.expect(sum(executor, "tasks")).toBe(101);
    ctx.expect(stats.workers.reduce((n, w) => n + w.failures, 0)).toBe(1);
    for (const w of stats.workers) {
      ctx.expect(w.state).toBe("idle");
      ctx.expect(w.taskTime.p99Ms).toBeGreaterThanOrEqual(w.taskTime.p50Ms);
      ctx.expect(w.heapMb).toBeGreaterThan(0);
    }
  });
});
