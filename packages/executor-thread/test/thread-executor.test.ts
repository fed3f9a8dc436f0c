import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@platoon/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { ThreadExecutor } from "../src/index.ts";
import { decoded, faultOf, fixtureTasks, startWith, sum, tsTasks } from "./helpers.ts";

const open: ThreadExecutor[] = [];
function pool(options: ConstructorParameters<typeof ThreadExecutor>[0] = {}) {
  const executor = new ThreadExecutor({ size: 2, ...options });
  open.push(executor);
  return executor;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

describe("ThreadExecutor", () => {
  it("loads a TypeScript tasks module", async () => {
    const executor = pool();
    const { codec, manifest, run } = await startWith(executor, tsTasks);
    expect(Object.keys(manifest)).toContain("norm");
    expect(await decoded(codec, await run("norm", { x: 3, y: 4 }))).toBe(5);
  });

  it("kills a thread whose heap passes maxMemoryMb: MemoryLimitExceeded, then recovers", async () => {
    const executor = pool({ maxMemoryMb: 64, memoryCheckIntervalMs: 50 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const outcome = await run("leak", { mb: 8, maxMb: 2048 });
    expect(faultOf(outcome)).toBe("MemoryLimitExceeded");
    if (outcome.status === "error") expect(outcome.error.retryable).toBe(true);
    expect(sum(executor, "memoryKills")).toBe(1);
    expect(await decoded(codec, await run("add1", 1))).toBe(2);
  }, 30_000);

  it("counts ArrayBuffer memory: a task leaking typed arrays is killed, its neighbours are not", async () => {
    // Typed arrays live outside the V8 heap (resourceLimits never see them); the thread
    // measures heap + external memory itself every few ms while the task awaits.
    const executor = pool({ size: 1, maxMemoryMb: 160 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const leak = run("leakBuffers", { mb: 16, maxMb: 4096 });
    const innocent = Array.from({ length: 20 }, (_, i) => run("add1", i));
    const outcome = await leak;
    expect(faultOf(outcome)).toBe("MemoryLimitExceeded");
    if (outcome.status === "error") expect(outcome.error.message).toContain("leakBuffers");
    const values = await Promise.all(innocent.map(async (o) => decoded(codec, await o)));
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Killed among the others (all suspects), then alone (guilty).
    expect(executor.stats().workers[0]).toMatchObject({ memoryKills: 2, failures: 1 });
  }, 30_000);

  it("terminates a task that ignores SIGTERM and loops at its deadline", async () => {
    const executor = pool({ size: 1 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const outcome = await run("stubborn", null, { deadline: Date.now() + 200 });
    expect(faultOf(outcome)).toBe("TaskTimedOut");
    expect(await decoded(codec, await run("add1", 1))).toBe(2);
    expect(executor.stats().workers[0]).toMatchObject({ timeouts: 1, restarts: 1 });
  }, 30_000);

  it("re-runs the jobs that shared a crashing thread alone: only the crasher is charged", async () => {
    // One thread, so all 300 jobs ride it together (batched, sent ahead).
    const executor = pool({ size: 1 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const jobs = Array.from({ length: 300 }, (_, i) =>
      i === 150 ? run("exit", { code: 7 }) : run("add1", i),
    );
    const outcomes = await Promise.all(jobs);
    expect(faultOf(outcomes[150]!)).toBe("WorkerCrashed");
    const innocent = outcomes.filter((_, i) => i !== 150);
    expect(innocent.map(faultOf).filter(Boolean)).toEqual([]);
    const values = await Promise.all(innocent.map((o) => decoded(codec, o)));
    expect(values).toEqual(Array.from({ length: 300 }, (_, i) => i + 1).filter((v) => v !== 151));
    // Its thread died twice: among the others (all suspects), then alone (guilty).
    expect(executor.stats().workers[0]).toMatchObject({ crashes: 2, failures: 1 });
    expect(executor.stats().queued).toBe(0);
  }, 30_000);

  it("replaces a thread that dies of an uncaught error outside any task", async () => {
    const executor = pool({ size: 1 });
    const { codec, run } = await startWith(executor, tsTasks);
    expect(await decoded(codec, await run("throwLater", null))).toBe("returned first");
    await waitFor(() => sum(executor, "crashes") === 1, { what: "the crash", timeoutMs: 10_000 });
    expect(await decoded(codec, await run("norm", { x: 0, y: 2 }))).toBe(2);
  }, 30_000);

  it("recycles a thread after maxTasksPerWorker tasks", async () => {
    const executor = pool({ size: 1, maxTasksPerWorker: 5 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    for (let i = 0; i < 12; i++) expect(await decoded(codec, await run("add1", i))).toBe(i + 1);
    expect(sum(executor, "restarts")).toBe(2);
    expect(sum(executor, "crashes")).toBe(0);
  }, 30_000);

  it("runs the init hook once per thread with the parent's data", async () => {
    const executor = pool({ init: { data: { region: "eu" } } });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const seen = (await decoded(codec, await run("initData", null))) as {
      data: unknown;
      workerId: number;
    };
    expect(seen.data).toEqual({ region: "eu" });
    expect([1, 2]).toContain(seen.workerId);
  });

  it("backs off when respawned threads keep failing to load, and recovers", async () => {
    const flag = join(tmpdir(), `platoon-fail-${process.pid}-${Date.now()}`);
    process.env.PLATOON_TEST_FAIL_FLAG = flag;
    try {
      const executor = pool({ size: 1, respawnDelayMs: 50 });
      const { codec, run } = await startWith(executor, tsTasks);
      writeFileSync(flag, "");
      expect(faultOf(await run("exit", { code: 1 }))).toBe("WorkerCrashed");
      const pending = run("norm", { x: 1, y: 0 });
      await waitFor(() => sum(executor, "restarts") >= 3, { what: "respawns", timeoutMs: 10_000 });
      // Backoff doubles (50, 100, 200 ms…): no respawn storm.
      expect(sum(executor, "restarts")).toBeLessThan(8);
      rmSync(flag);
      expect(await decoded(codec, await pending)).toBe(1);
    } finally {
      rmSync(flag, { force: true });
      delete process.env.PLATOON_TEST_FAIL_FLAG;
    }
  }, 30_000);

  it("reports stats per thread", async () => {
    const executor = pool();
    const { run } = await startWith(executor, fixtureTasks);
    await Promise.all(Array.from({ length: 100 }, (_, i) => run("fib", 15 + (i % 3))));
    await run("fail", { message: "x" });
    const stats = executor.stats();
    expect(stats.kind).toBe("thread");
    expect(stats.queued).toBe(0);
    expect(stats.workers.map((w) => w.id)).toEqual([1, 2]);
    expect(sum(executor, "tasks")).toBe(101);
    expect(stats.workers.reduce((n, w) => n + w.failures, 0)).toBe(1);
    for (const w of stats.workers) {
      expect(w.state).toBe("idle");
      expect(w.taskTime.p99Ms).toBeGreaterThanOrEqual(w.taskTime.p50Ms);
      expect(w.heapMb).toBeGreaterThan(0);
    }
  });
});
