import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient, createWorker, task } from "@platoon/core";
import { waitFor } from "@platoon/testkit";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";
import { enc, job, uniqueQueue, waitForDrain, within } from "./helpers.ts";

const WORKER = fileURLToPath(new URL("./fixtures/crash-worker.ts", import.meta.url));
const JOBS = 20_000;

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start({ appendonly: true });
});
afterAll(async () => {
  await server?.stop();
});

function startWorker(
  queue: string,
  settledAfter: { restarted: boolean; count: number },
): ChildProcess {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=source", WORKER, server.url, queue, "100", "2000"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  proc.stdout!.on("data", (chunk: Buffer) => {
    if (settledAfter.restarted)
      settledAfter.count += (chunk.toString().match(/^S /gm) ?? []).length;
  });
  return proc;
}

describe("Redis restarted mid-run (appendonly)", () => {
  it("loses nothing, and workers (blocking waits included) resume unattended", async () => {
    const producer = createRedisBroker({ url: server.url });
    const q = uniqueQueue("restart");
    const idle = uniqueQueue("idle");
    await producer.enqueue(
      q,
      Array.from({ length: JOBS }, (_, i) => ({
        id: `r${i}`,
        task: "t",
        payload: enc.encode(`${i}`),
        resultTtlMs: 600_000,
      })),
    );
    const after = { restarted: false, count: 0 };
    const workers = [startWorker(q, after), startWorker(q, after)];
    // An in-process consumer blocked on an empty queue across the restart (for far longer
    // than the test runs: it must come back on its own, not by timing out).
    const blocked = createRedisBroker({ url: server.url });
    const blockedReserve = blocked.reserve(idle, { max: 1, leaseMs: 10_000, waitMs: 600_000 });
    try {
      await waitFor(async () => (await producer.stats(q)).results > JOBS / 4, {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: "a quarter of the jobs done before the restart",
      });
      await server.restart("SIGKILL", 300); // 300 ms down: clients see a real outage
      after.restarted = true;
      // Fails when progress stops, not when a loaded machine is merely slow.
      await waitForDrain(producer, q, "after the restart");
      const s = await producer.stats(q);
      expect(s).toMatchObject({ waiting: 0, active: 0, dead: 0, results: JOBS });
      expect(after.count).toBeGreaterThan(0); // the workers settled jobs after the restart
      await producer.enqueue(idle, [job("after-restart")]);
      // The 20 s bound only proves the blocked reserve resumed (it would wait 10 minutes).
      const got = await within(blockedReserve, 20_000, "reserve blocked across the restart");
      expect(got.map((d) => d.id)).toEqual(["after-restart"]);
    } finally {
      for (const w of workers) w.kill("SIGKILL");
      await blocked.close();
      await producer.close();
    }
    // Generous: 20k jobs and a restart on a loaded 2-core CI machine; a stall fails sooner.
  }, 300_000);
});

describe("Redis gone for good", () => {
  it("a worker still stops, and its broker closes, within the stop's grace", async () => {
    const own = await RedisServer.start();
    const broker = createRedisBroker({ url: own.url });
    const q = uniqueQueue("gone");
    // The job is slow enough to be running when Redis dies.
    let release!: () => void;
    const running = new Promise<void>((r) => {
      release = r;
    });
    const tasks = { t: task("t", () => running) };
    const worker = await createWorker({ broker, queue: q, tasks, waitMs: 50 });
    await (await createClient({ broker, queue: q })).enqueue("t", null);
    await waitFor(() => worker.metrics().inFlight === 1, {
      timeoutMs: 20_000,
      what: "the job to start",
    });
    await own.kill("SIGKILL");
    release(); // it finishes with nobody to tell
    await within(worker.stop({ timeoutMs: 500 }), 20_000, "worker.stop() with Redis gone");
    await within(broker.close(), 20_000, "broker.close() with Redis gone");
    expect(worker.metrics().state).toBe("stopped");
    await own.stop();
  });
});
