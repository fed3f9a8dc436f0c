import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";
import { enc, job, sleep, uniqueQueue } from "./helpers.ts";
import { RedisServer } from "./redis-server.ts";

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
    // An in-process consumer blocked on an empty queue across the restart.
    const blocked = createRedisBroker({ url: server.url });
    const blockedReserve = blocked.reserve(idle, { max: 1, leaseMs: 10_000, waitMs: 30_000 });
    try {
      for (;;) {
        const s = await producer.stats(q);
        if (s.results > JOBS / 4) break;
        await sleep(50);
      }
      await server.restart("SIGKILL", 300);
      after.restarted = true;
      const started = Date.now();
      for (;;) {
        const s = await producer.stats(q);
        if (s.waiting + s.delayed + s.active === 0) break;
        if (Date.now() - started > 45_000)
          throw new Error(`stuck after restart: ${JSON.stringify(s)}`);
        await sleep(100);
      }
      const s = await producer.stats(q);
      expect(s).toMatchObject({ waiting: 0, active: 0, dead: 0, results: JOBS });
      expect(after.count).toBeGreaterThan(0); // the workers settled jobs after the restart
      await producer.enqueue(idle, [job("after-restart")]);
      const got = await blockedReserve;
      expect(got.map((d) => d.id)).toEqual(["after-restart"]);
    } finally {
      for (const w of workers) w.kill("SIGKILL");
      await blocked.close();
      await producer.close();
    }
  }, 90_000);
});
