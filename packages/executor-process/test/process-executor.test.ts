import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@platoon/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProcessExecutor, type ProcessExecutorOptions } from "../src/index.ts";
import { decoded, faultOf, fixtureTasks, startWith, sum, tsTasks } from "./helpers.ts";

const open: ProcessExecutor[] = [];
function pool(options: ProcessExecutorOptions = {}) {
  const executor = new ProcessExecutor({ size: 2, killGraceMs: 300, ...options });
  open.push(executor);
  return executor;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((e) => e.close()));
});

describe("ProcessExecutor", () => {
  it("loads a TypeScript tasks module", async () => {
    const executor = pool();
    const { codec, manifest, run } = await startWith(executor, tsTasks);
    expect(Object.keys(manifest)).toContain("norm");
    expect(await decoded(codec, await run("norm", { x: 3, y: 4 }))).toBe(5);
  });

  it("turns a SIGKILL from outside into WorkerCrashed and respawns", async () => {
    const executor = pool({ size: 1 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const pid = ((await decoded(codec, await run("whoami", null))) as { pid: number }).pid;
    expect(executor.stats().workers[0]!.pid).toBe(pid);
    const running = run("nap", { ms: 20_000 });
    await waitFor(() => executor.stats().workers[0]!.state === "busy", { what: "busy" });
    process.kill(pid, "SIGKILL");
    const outcome = await running;
    expect(faultOf(outcome)).toBe("WorkerCrashed");
    if (outcome.status === "error") expect(outcome.error.message).toContain("SIGKILL");
    const next = ((await decoded(codec, await run("whoami", null))) as { pid: number }).pid;
    expect(next).not.toBe(pid);
    expect(executor.stats().workers[0]).toMatchObject({ crashes: 1, restarts: 1 });
  }, 30_000);

  it("SIGKILLs a task that ignores SIGTERM after the grace period", async () => {
    const executor = pool({ size: 1, killGraceMs: 200 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const outcome = await run("stubborn", null, { deadline: Date.now() + 300 });
    expect(faultOf(outcome)).toBe("TaskTimedOut");
    expect(await decoded(codec, await run("add1", 1))).toBe(2);
    expect(executor.stats().workers[0]).toMatchObject({ timeouts: 1, restarts: 1 });
  }, 30_000);

  it("kills a process whose RSS passes maxMemoryMb: MemoryLimitExceeded, then recovers", async () => {
    const executor = pool({ size: 1, memoryCheckIntervalMs: 50, maxMemoryMb: 1024 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    await run("add1", 1);
    const baseline = executor.stats().workers[0]!.rssMb!;
    expect(baseline).toBeGreaterThan(10);
    await executor.close();
    const tight = pool({
      size: 1,
      memoryCheckIntervalMs: 50,
      maxMemoryMb: Math.ceil(baseline) + 80,
    });
    const started = await startWith(tight, fixtureTasks);
    const outcome = await started.run("leak", { mb: 8, maxMb: 3000 });
    expect(faultOf(outcome)).toBe("MemoryLimitExceeded");
    expect(sum(tight, "memoryKills")).toBe(1);
    expect(await decoded(started.codec, await started.run("add1", 1))).toBe(2);
    void codec;
  }, 40_000);

  it("gives every job in flight on a dying process an outcome", async () => {
    const executor = pool({ size: 1 });
    const { run } = await startWith(executor, fixtureTasks);
    const jobs = Array.from({ length: 300 }, (_, i) =>
      i === 150 ? run("exit", { code: 7 }) : run("add1", i),
    );
    const outcomes = await Promise.all(jobs);
    const ok = outcomes.filter((o) => o.status === "ok").length;
    const crashed = outcomes.filter((o) => faultOf(o) === "WorkerCrashed").length;
    expect(ok + crashed).toBe(300);
    expect(faultOf(outcomes[150]!)).toBe("WorkerCrashed");
  }, 30_000);

  it("forwards task output line by line, prefixed with the worker id, never as a frame", async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const executor = pool({ size: 1 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    expect(await decoded(codec, await run("print", 7))).toBe(7);
    await waitFor(() => lines.join("").includes("[process-1] print-task stderr 7"), {
      what: "stderr line",
    });
    await waitFor(() => lines.join("").includes("[process-1] print-task stdout 7\n"), {
      what: "stdout line",
    });
  });

  it("passes env, cwd and runtime arguments to workers", async () => {
    const cwd = tmpdir();
    const executor = pool({
      size: 1,
      cwd,
      env: { ...process.env, PLATOON_TEST_MARKER: "hello" },
      execArgv: ["--max-old-space-size=300"],
    });
    const { codec, run } = await startWith(executor, tsTasks);
    const info = (await decoded(codec, await run("envInfo", null))) as {
      cwd: string;
      marker: string;
      execArgv: string[];
      workerId: string;
    };
    expect(info.marker).toBe("hello");
    expect(info.cwd).toBe(cwd);
    expect(info.execArgv).toContain("--max-old-space-size=300");
    expect(info.workerId).toBe("1");
  });

  it("replaces a process that dies of an uncaught error outside any task", async () => {
    const executor = pool({ size: 1, output: "ignore" });
    const { codec, run } = await startWith(executor, tsTasks);
    expect(await decoded(codec, await run("throwLater", null))).toBe("returned first");
    await waitFor(() => sum(executor, "crashes") === 1, { what: "the crash", timeoutMs: 10_000 });
    expect(await decoded(codec, await run("norm", { x: 0, y: 2 }))).toBe(2);
  }, 30_000);

  it("runs the init hook once per process with the parent's data", async () => {
    const executor = pool({ init: { data: { region: "eu" } } });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const seen = (await decoded(codec, await run("initData", null))) as {
      data: unknown;
      workerId: number;
    };
    expect(seen.data).toEqual({ region: "eu" });
    expect([1, 2]).toContain(seen.workerId);
  });

  it("recycles a process after maxTasksPerWorker tasks", async () => {
    const executor = pool({ size: 1, maxTasksPerWorker: 5 });
    const { codec, run } = await startWith(executor, fixtureTasks);
    const pids = new Set<number>();
    for (let i = 0; i < 12; i++) {
      pids.add(((await decoded(codec, await run("whoami", null))) as { pid: number }).pid);
    }
    expect(pids.size).toBe(3);
    expect(sum(executor, "crashes")).toBe(0);
  }, 30_000);

  it("backs off when respawned processes keep failing to load, and recovers", async () => {
    const flag = join(tmpdir(), `platoon-fail-${process.pid}-${Date.now()}`);
    const executor = pool({
      size: 1,
      respawnDelayMs: 50,
      output: "ignore",
      env: { ...process.env, PLATOON_TEST_FAIL_FLAG: flag },
    });
    try {
      const { codec, run } = await startWith(executor, tsTasks);
      writeFileSync(flag, "");
      expect(faultOf(await run("exit", { code: 1 }))).toBe("WorkerCrashed");
      const pending = run("norm", { x: 1, y: 0 });
      await waitFor(() => sum(executor, "restarts") >= 3, { what: "respawns", timeoutMs: 15_000 });
      expect(sum(executor, "restarts")).toBeLessThan(8);
      rmSync(flag);
      expect(await decoded(codec, await pending)).toBe(1);
    } finally {
      rmSync(flag, { force: true });
    }
  }, 40_000);
});
