import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@platoon/testkit";
import { afterAll, describe, expect, it, type TestContext, vi } from "vitest";
import { ProcessExecutor, type ProcessExecutorOptions } from "../src/index.ts";
import { decoded, faultOf, fixtureTasks, startWith, sum, tsTasks } from "./helpers.ts";

/**
 * A pool of its own for one test, closed when the test ends. One process unless a test
 * needs two: starting a process (Node + tsx) is the slow part.
 */
function pool(ctx: TestContext, options: ProcessExecutorOptions = {}) {
  const executor = new ProcessExecutor({ size: 1, killGraceMs: 200, ...options });
  ctx.onTestFinished(() => executor.close());
  return executor;
}

/**
 * Pools shared by the cases that leave them healthy (and need no counters of their own),
 * started on first use: one on the TypeScript module with env, cwd and runtime flags, one
 * on the fixture tasks with an init hook.
 */
const cwd = tmpdir();
const sharedPools: ProcessExecutor[] = [];
function sharedPool(tasksModule: string, options: ProcessExecutorOptions) {
  let started: ReturnType<typeof startWith> | undefined;
  return () => {
    if (!started) {
      const executor = new ProcessExecutor({ size: 1, ...options });
      sharedPools.push(executor);
      started = startWith(executor, tasksModule).then((s) => Object.assign(s, { executor }));
    }
    return started as Promise<
      Awaited<ReturnType<typeof startWith>> & { executor: ProcessExecutor }
    >;
  };
}
const tsPool = sharedPool(tsTasks, {
  cwd,
  env: { ...process.env, PLATOON_TEST_MARKER: "hello" },
  execArgv: ["--max-old-space-size=300"],
});
const fixturePool = sharedPool(fixtureTasks, { init: { data: { region: "eu" } } });

/** A memory limit a little above an idle worker's RSS, measured on this machine. */
async function tightLimitMb(): Promise<number> {
  const { executor, run } = await fixturePool();
  await run("add1", 1);
  const baseline = executor.stats().workers[0]!.rssMb!;
  expect(baseline).toBeGreaterThan(10);
  return Math.ceil(baseline) + 80;
}
afterAll(() => Promise.all(sharedPools.map((e) => e.close())));

// Cases run side by side (the slowest first): most of their time is spent waiting for
// processes to start, die or be killed.
describe.concurrent("ProcessExecutor", () => {
  it("finds a leak among innocent jobs sharing its process by running each alone", async (ctx) => {
    const executor = pool(ctx, { memoryCheckIntervalMs: 50, maxMemoryMb: await tightLimitMb() });
    const { codec, run } = await startWith(executor, fixtureTasks);
    // 40 jobs sent along to the same (only) process (a fresh pool sends ahead all it can;
    // later, knowing task times, about 2 ms of work): all are suspects when it is killed;
    // each runs again alone; only the leak kills its process again.
    const leak = run("leak", { mb: 8, maxMb: 3000 });
    const innocent = Array.from({ length: 40 }, (_, i) => run("add1", i));
    const outcome = await leak;
    ctx.expect(faultOf(outcome)).toBe("MemoryLimitExceeded");
    const values = await Promise.all(innocent.map(async (o) => decoded(codec, await o)));
    ctx.expect(values).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    ctx.expect(executor.stats().workers[0]).toMatchObject({ memoryKills: 2, failures: 1 });
  });

  it("kills a process whose RSS passes maxMemoryMb: MemoryLimitExceeded, then recovers", async (ctx) => {
    const executor = pool(ctx, { memoryCheckIntervalMs: 50, maxMemoryMb: await tightLimitMb() });
    const { codec, run } = await startWith(executor, fixtureTasks);
    // Alone in flight: guilty at once.
    const outcome = await run("leak", { mb: 8, maxMb: 3000 });
    ctx.expect(faultOf(outcome)).toBe("MemoryLimitExceeded");
    if (outcome.status === "error") ctx.expect(outcome.error.retryable).toBe(true);
    ctx.expect(executor.stats().workers[0]).toMatchObject({ memoryKills: 1, failures: 1 });
    ctx.expect(await decoded(codec, await run("add1", 1))).toBe(2);
  });

  it("backs off when respawned processes keep failing to load, and recovers", async (ctx) => {
    const flag = join(tmpdir(), `platoon-fail-${process.pid}-${Date.now()}`);
    ctx.onTestFinished(() => rmSync(flag, { force: true }));
    const executor = pool(ctx, {
      respawnDelayMs: 25,
      output: "ignore",
      env: { ...process.env, PLATOON_TEST_FAIL_FLAG: flag },
    });
    const { codec, run } = await startWith(executor, tsTasks);
    writeFileSync(flag, "");
    ctx.expect(faultOf(await run("exit", { code: 1 }))).toBe("WorkerCrashed");
    const pending = run("norm", { x: 1, y: 0 });
    await waitFor(() => sum(executor, "restarts") >= 3, { what: "respawns", timeoutMs: 15_000 });
    // Backoff doubles (25, 50, 100 ms…): no respawn storm.
    ctx.expect(sum(executor, "restarts")).toBeLessThan(8);
    rmSync(flag);
    ctx.expect(await decoded(codec, await pending)).toBe(1);
  });

  it("recycles a process after maxTasksPerWorker tasks", async (ctx) => {
    const executor = pool(ctx, { maxTasksPerWorker: 3 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const pids = new Set<number>();
    for (let i = 0; i < 7; i++) {
      pids.add(((await decoded(codec, await run("whoami", null))) as { pid: number }).pid);
    }
    ctx.expect(pids.size).toBe(3);
    ctx.expect(sum(executor, "crashes")).toBe(0);
  });

  it("turns a SIGKILL from outside into WorkerCrashed and respawns", async (ctx) => {
    const executor = pool(ctx);
    const { codec, run } = await startWith(executor, fixtureTasks);
    const pid = ((await decoded(codec, await run("whoami", null))) as { pid: number }).pid;
    ctx.expect(executor.stats().workers[0]!.pid).toBe(pid);
    const running = run("nap", { ms: 20_000 });
    await waitFor(() => executor.stats().workers[0]!.state === "busy", { what: "busy" });
    process.kill(pid, "SIGKILL");
    const outcome = await running;
    ctx.expect(faultOf(outcome)).toBe("WorkerCrashed");
    if (outcome.status === "error") ctx.expect(outcome.error.message).toContain("SIGKILL");
    const next = ((await decoded(codec, await run("whoami", null))) as { pid: number }).pid;
    ctx.expect(next).not.toBe(pid);
    ctx.expect(executor.stats().workers[0]).toMatchObject({ crashes: 1, restarts: 1 });
  });

  it("SIGKILLs a task that ignores SIGTERM after the grace period", async (ctx) => {
    const executor = pool(ctx, { killGraceMs: 100, timeoutGraceMs: 20 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const outcome = await run("stubborn", null, { deadline: Date.now() + 200 });
    ctx.expect(faultOf(outcome)).toBe("TaskTimedOut");
    ctx.expect(await decoded(codec, await run("add1", 1))).toBe(2);
    ctx.expect(executor.stats().workers[0]).toMatchObject({ timeouts: 1, restarts: 1 });
  });

  it("replaces a process that dies of an uncaught error outside any task", async (ctx) => {
    const executor = pool(ctx, { output: "ignore" });
    const { codec, run } = await startWith(executor, tsTasks);
    ctx.expect(await decoded(codec, await run("throwLater", null))).toBe("returned first");
    await waitFor(() => sum(executor, "crashes") === 1, { what: "the crash", timeoutMs: 10_000 });
    ctx.expect(await decoded(codec, await run("norm", { x: 0, y: 2 }))).toBe(2);
  });

  it("loads a TypeScript tasks module", async (ctx) => {
    const { codec, manifest, run } = await tsPool();
    ctx.expect(Object.keys(manifest)).toContain("norm");
    ctx.expect(await decoded(codec, await run("norm", { x: 3, y: 4 }))).toBe(5);
  });

  it("forwards task output line by line, prefixed with the worker id, never as a frame", async (ctx) => {
    const lines: string[] = [];
    // Other cases run meanwhile: their workers' lines are captured too, and ignored.
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    ctx.onTestFinished(() => {
      out.mockRestore();
      err.mockRestore();
    });
    const { codec, run } = await fixturePool();
    ctx.expect(await decoded(codec, await run("print", 7))).toBe(7);
    await waitFor(() => lines.join("").includes("[process-1] print-task stderr 7"), {
      what: "stderr line",
    });
    await waitFor(() => lines.join("").includes("[process-1] print-task stdout 7\n"), {
      what: "stdout line",
    });
  });

  it("passes env, cwd and runtime arguments to workers", async (ctx) => {
    const { codec, run } = await tsPool();
    const info = (await decoded(codec, await run("envInfo", null))) as {
      cwd: string;
      marker: string;
      execArgv: string[];
      workerId: string;
    };
    ctx.expect(info.marker).toBe("hello");
    ctx.expect(info.cwd).toBe(cwd);
    ctx.expect(info.execArgv).toContain("--max-old-space-size=300");
    ctx.expect(info.workerId).toBe("1");
  });

  it("runs the init hook once per process with the parent's data", async (ctx) => {
    const { codec, run } = await fixturePool();
    const seen = (await decoded(codec, await run("initData", null))) as {
      data: unknown;
      workerId: number;
    };
    ctx.expect(seen.data).toEqual({ region: "eu" });
    ctx.expect(seen.workerId).toBe(1);
  });
});
