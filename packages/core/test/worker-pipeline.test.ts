// The worker on a broker with settleAndReserve (as the Redis broker has): two reserves in
// flight, settlements carried by them, failures and stop while a reserve is out.
import { describe, expect, it } from "vitest";
import {
  createClient,
  createWorker,
  type Delivery,
  MemoryBroker,
  type ReserveOptions,
  type Settlement,
  type SettleResult,
  task,
} from "../src/index.ts";

interface Call {
  settlements: number;
  max: number;
  done: boolean;
}

/** A memory broker with a combined settle-and-reserve whose calls can be held back. */
class CombinedBroker extends MemoryBroker {
  readonly calls: Call[] = [];
  /** Separate settle() calls (not the ones inside settleAndReserve). */
  settleCalls = 0;
  gated = false;
  readonly failOn = new Set<number>();
  readonly #held: (() => void)[] = [];

  async settleAndReserve(
    queue: string,
    settlements: Settlement[],
    reserve: ReserveOptions,
  ): Promise<{ settled: SettleResult[]; deliveries: Delivery[] }> {
    const call: Call = { settlements: settlements.length, max: reserve.max, done: false };
    this.calls.push(call);
    const n = this.calls.length;
    if (this.gated) await new Promise<void>((r) => this.#held.push(r));
    try {
      if (this.failOn.has(n)) throw new Error(`call ${n}: connection lost`);
      const settled = await super.settle(queue, settlements);
      const deliveries = await super.reserve(queue, { ...reserve, waitMs: 0 });
      return { settled, deliveries };
    } finally {
      call.done = true;
    }
  }

  override settle(queue: string, settlements: Settlement[]): Promise<SettleResult[]> {
    this.settleCalls++;
    return super.settle(queue, settlements);
  }

  get held(): number {
    return this.#held.length;
  }

  release(): void {
    this.#held.shift()?.();
  }

  open(): void {
    this.gated = false;
    while (this.#held.length > 0) this.release();
  }

  pending(): Call[] {
    return this.calls.filter((c) => !c.done);
  }
}

const until = async (probe: () => boolean, what: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

const quiet = { warn: () => {}, error: () => {} };

describe("worker on a broker with settleAndReserve", () => {
  for (const kind of ["sync", "async"] as const) {
    it(`keeps two reserves in flight and carries every settlement in the next one (${kind} tasks)`, async () => {
      const broker = new CombinedBroker();
      broker.gated = true;
      const tasks = {
        work: task("work", kind === "sync" ? (n: number) => n : async (n: number) => n),
      };
      const client = await createClient({ broker, queue: "p" });
      const handles = await client.enqueueMany(
        "work",
        Array.from({ length: 40 }, (_, i) => i),
      );
      const worker = await createWorker({
        broker,
        tasks,
        queue: "p",
        concurrency: 5,
        prefetch: 5,
      });
      // Capacity 10, in halves: two reserves of 5 go out at once.
      await until(() => broker.held === 2, "two reserves in flight");
      expect(broker.calls.map((c) => [c.max, c.settlements])).toEqual([
        [5, 0],
        [5, 0],
      ]);
      // The first comes back: its jobs run while the second is still out, and the next
      // reserve goes out carrying their settlements.
      broker.release();
      await until(() => broker.held === 2 && broker.calls.length === 3, "the third reserve");
      expect(broker.calls[2]).toMatchObject({ max: 5, settlements: 5 });
      expect(broker.calls[1]!.done).toBe(false);
      broker.open();
      expect(await Promise.all(handles.map((h) => h.result({ timeoutMs: 10_000 })))).toEqual(
        Array.from({ length: 40 }, (_, i) => i),
      );
      // Every settlement rode on a reserve: no settle call of its own while there was work.
      expect(broker.settleCalls).toBe(0);
      const carried = broker.calls.reduce((sum, c) => sum + c.settlements, 0);
      expect(carried).toBe(40);
      // Never more asked for than the capacity (concurrency + prefetch) leaves room for.
      expect(broker.calls.every((c) => c.max <= 10)).toBe(true);
      await worker.stop();
      expect(worker.metrics()).toMatchObject({ completed: 40, staleSettles: 0 });
      expect(await broker.stats("p")).toMatchObject({ waiting: 0, active: 0 });
      await broker.close();
    });
  }

  it("a failed reserve keeps its settlements, backs off and sends them again", async () => {
    const broker = new CombinedBroker();
    broker.failOn.add(3);
    let runs = 0;
    const tasks = {
      work: task("work", (n: number) => {
        runs++;
        return n * 2;
      }),
    };
    const client = await createClient({ broker, queue: "f" });
    const handles = await client.enqueueMany(
      "work",
      Array.from({ length: 30 }, (_, i) => i),
    );
    const worker = await createWorker({
      broker,
      tasks,
      queue: "f",
      concurrency: 4,
      prefetch: 4,
      logger: quiet,
    });
    expect(await Promise.all(handles.map((h) => h.result({ timeoutMs: 10_000 })))).toEqual(
      Array.from({ length: 30 }, (_, i) => i * 2),
    );
    // The failed call's settlements were not lost (each job ran once and completed once).
    expect(runs).toBe(30);
    expect(broker.calls[2]!.settlements).toBeGreaterThan(0);
    await worker.stop();
    expect(worker.metrics()).toMatchObject({ completed: 30, staleSettles: 0 });
    expect(await broker.stats("f")).toMatchObject({ waiting: 0, active: 0 });
    await broker.close();
  });

  it("stop waits for reserves in flight and hands back, unrun, what they bring", async () => {
    const broker = new CombinedBroker();
    broker.gated = true;
    let runs = 0;
    const tasks = {
      work: task("work", () => {
        runs++;
      }),
    };
    const client = await createClient({ broker, queue: "s" });
    await client.enqueueMany(
      "work",
      Array.from({ length: 10 }, (_, i) => i),
    );
    const worker = await createWorker({ broker, tasks, queue: "s", concurrency: 2 });
    await until(() => broker.held === 2, "two reserves in flight");
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    // Not stopped while its reserves are out: what they bring must be handed back.
    await Promise.resolve();
    expect(stopped).toBe(false);
    broker.open();
    await stopping;
    expect(runs).toBe(0);
    expect(await broker.stats("s")).toMatchObject({ waiting: 10, active: 0 });
    const again = await broker.reserve("s", { max: 10, leaseMs: 1_000 });
    expect(again.map((d) => d.attempt)).toEqual(Array.from({ length: 10 }, () => 1));
    await broker.close();
  });

  it("blocks in reserve once the queue is empty, and wakes for new work", async () => {
    const broker = new CombinedBroker();
    const tasks = { work: task("work", (n: number) => n + 1) };
    const client = await createClient({ broker, queue: "w" });
    const worker = await createWorker({
      broker,
      tasks,
      queue: "w",
      concurrency: 3,
      waitMs: 60_000,
    });
    expect(await client.run("work", 1, { timeoutMs: 10_000 })).toBe(2);
    const callsBefore = broker.calls.length;
    const results = await Promise.all(
      [10, 20, 30, 40].map((n) => client.run("work", n, { timeoutMs: 10_000 })),
    );
    expect(results).toEqual([11, 21, 31, 41]);
    // Idle between the two: a blocking reserve waited (no busy loop of reserves).
    expect(broker.calls.length - callsBefore).toBeLessThan(20);
    await worker.stop();
    await broker.close();
  });
});
