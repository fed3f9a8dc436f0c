import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "@platoon/testkit";
import { RedisServer } from "@platoon/testkit/redis-server";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";
import { dec, enc, sleep, uniqueQueue, waitForDrain } from "./helpers.ts";

const WORKER = fileURLToPath(new URL("./fixtures/crash-worker.ts", import.meta.url));
const JOBS = Number(process.env.PLATOON_CRASH_JOBS ?? 100_000);
const BATCH = 200;
const LEASE_MS = 1_500;

/** One worker process and what it printed. */
class WorkerProc {
  readonly proc: ChildProcess;
  readonly processing = new Map<string, number>();
  /** Ids this process took but had not settled when it was killed. */
  inFlight = new Set<string>();
  #buffer = "";
  exited: Promise<void>;

  constructor(url: string, queue: string, seen: Map<string, number>) {
    this.proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=source",
        WORKER,
        url,
        queue,
        String(BATCH),
        String(LEASE_MS),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    this.exited = new Promise((r) => this.proc.once("exit", () => r()));
    this.proc.stdout!.on("data", (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      let nl = this.#buffer.indexOf("\n");
      while (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const ids = line.slice(2).split(" ");
        if (line.startsWith("P ")) {
          for (const id of ids) {
            this.inFlight.add(id);
            seen.set(id, (seen.get(id) ?? 0) + 1);
          }
        } else if (line.startsWith("S ")) {
          for (const id of ids) this.inFlight.delete(id);
        }
        nl = this.#buffer.indexOf("\n");
      }
    });
  }

  async kill(): Promise<Set<string>> {
    this.proc.kill("SIGKILL");
    await this.exited;
    return this.inFlight;
  }
}

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

describe("worker processes killed with SIGKILL", () => {
  it(`${JOBS} jobs all complete exactly once; only jobs in flight at a kill run twice`, async () => {
    const producer = createRedisBroker({ url: server.url });
    const q = uniqueQueue("crash");
    const ids = Array.from({ length: JOBS }, (_, i) => `c${i}`);
    await producer.enqueue(
      q,
      ids.map((id) => ({ id, task: "t", payload: enc.encode(id), resultTtlMs: 600_000 })),
    );
    const seen = new Map<string, number>();
    const workers = [new WorkerProc(server.url, q, seen), new WorkerProc(server.url, q, seen)];
    const inFlightAtKills = new Set<string>();
    let kills = 0;
    const perKill: number[] = [];
    const started = Date.now();
    try {
      // Every ~second, kill a worker that holds jobs (a booting one would prove nothing) and
      // start a fresh one in its place.
      while (kills < 4) {
        await sleep(800); // the kill cadence: let the survivors run a while between kills
        const s = await producer.stats(q);
        if (s.waiting + s.active === 0) break;
        // Workers boot slowly on a loaded machine (tsx): wait for one to hold jobs.
        const victim = await waitFor(
          async () => {
            const running = workers.find((w) => w.inFlight.size > 0);
            if (running) return running;
            const now = await producer.stats(q);
            return now.waiting + now.active === 0 ? ("drained" as const) : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 10, what: "a worker running jobs" },
        );
        if (victim === "drained") break;
        workers.splice(workers.indexOf(victim), 1);
        const inFlight = await victim.kill();
        for (const id of inFlight) inFlightAtKills.add(id);
        perKill.push(inFlight.size);
        kills++;
        workers.push(new WorkerProc(server.url, q, seen));
      }
      // Fails when progress stops, not when a loaded machine is merely slow.
      await waitForDrain(producer, q, "crash queue");
    } finally {
      await Promise.all(workers.map((w) => w.kill()));
    }

    const stats = await producer.stats(q);
    expect(stats).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 0, results: JOBS });
    // Every result is there and is the job's own.
    const admin = new Redis(server.port, "127.0.0.1");
    for (let i = 0; i < JOBS; i += 5_000) {
      const slice = ids.slice(i, i + 5_000);
      const values = await admin.mgetBuffer(...slice.map((id) => producer.keys.result(q, id)));
      slice.forEach((id, k) => {
        const v = values[k];
        expect(v && dec.decode(v.subarray(v.indexOf(124) + 1))).toBe(id);
      });
    }
    admin.disconnect();
    const twice = [...seen.entries()].filter(([, n]) => n > 1).map(([id]) => id);
    const unexplained = twice.filter((id) => !inFlightAtKills.has(id));
    console.log(
      `crash test: ${JOBS} jobs, ${kills} kills (in flight: ${perKill.join(", ")}), ${twice.length} run twice (bound ${kills * BATCH}), ${Date.now() - started} ms`,
    );
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(perKill.some((n) => n > 0)).toBe(true); // the kills did hit running jobs
    expect(unexplained).toEqual([]);
    expect(twice.length).toBeLessThanOrEqual(kills * BATCH);
    expect(seen.size).toBe(JOBS);
    await producer.close();
    // Generous: 100k jobs on a 2-core CI machine running other suites; a stall fails sooner.
  }, 300_000);
});
