import { afterEach, describe, expect, it } from "vitest";
import {
  createScheduler,
  createWorker,
  ManualClock,
  MemoryBroker,
  parseDuration,
  type Scheduler,
} from "../src/index.ts";
import * as tasks from "./fixtures/tasks.ts";

const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(start = T0) {
  const clock = new ManualClock(start);
  const broker = new MemoryBroker({ now: () => clock.now() });
  const scheduler = await createScheduler({ broker, queue: "q", clock });
  cleanups.push(() => broker.close());
  cleanups.push(() => scheduler.stop());
  return { clock, broker, scheduler };
}

/** Runs the scheduler's one-shot pass at each of the given times. */
async function fireAt(clock: ManualClock, s: Scheduler, ...times: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const t of times) {
    await clock.advanceTo(t);
    out.push(await s.tick());
  }
  return out;
}

async function waiting(broker: MemoryBroker, queue = "q") {
  return (await broker.stats(queue)).waiting;
}

describe("schedule definitions", () => {
  it("parses durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("10s")).toBe(10_000);
    expect(parseDuration("1.5m")).toBe(90_000);
    expect(parseDuration(250)).toBe(250);
    expect(() => parseDuration("soon")).toThrow(/cannot read/);
  });

  it("rejects bad definitions with clear errors", async () => {
    const { scheduler } = await setup();
    await expect(scheduler.create({ task: "t" })).rejects.toThrow(/exactly one of cron/);
    await expect(scheduler.create({ task: "t", cron: "nope" })).rejects.toThrow(/bad cron/);
    await expect(scheduler.create({ task: "t", every: "1s", cron: "* * * * *" })).rejects.toThrow(
      /exactly one/,
    );
    await expect(
      scheduler.create({ task: "t", every: "1s", startAt: T0 + 10, endAt: T0 }),
    ).rejects.toThrow(/endAt/);
  });
});

describe("scheduler semantics (manual clock)", () => {
  it("cron with seconds fires on each matching second", async () => {
    const { clock, broker, scheduler } = await setup();
    const s = await scheduler.create({ id: "c", task: "double", input: 21, cron: "*/5 * * * * *" });
    expect(s.nextRunAt?.getTime()).toBe(T0 + 5_000);
    expect(await fireAt(clock, scheduler, T0 + 4_999, T0 + 5_000, T0 + 7_000, T0 + 10_000)).toEqual(
      [0, 1, 0, 1],
    );
    expect(await waiting(broker)).toBe(2);
    const info = await scheduler.get("c");
    expect(info?.runs).toBe(2);
    expect(info?.nextRunAt?.getTime()).toBe(T0 + 15_000);
    expect(info?.input).toBe(21);
  });

  it("cron honours a time zone", async () => {
    const { scheduler } = await setup();
    const s = await scheduler.create({ task: "t", cron: "30 9 * * *", timezone: "Asia/Tokyo" });
    expect(s.nextRunAt?.toISOString()).toBe("2030-01-01T00:30:00.000Z"); // 09:30 in Tokyo
  });

  it("intervals fire on anchor + k*every; runImmediately fires at once", async () => {
    const { clock, broker, scheduler } = await setup();
    await scheduler.create({ id: "i", task: "t", every: "10s" });
    await scheduler.create({ id: "now", task: "t", every: "10s", runImmediately: true });
    expect(await fireAt(clock, scheduler, T0, T0 + 10_000, T0 + 20_000)).toEqual([1, 2, 2]);
    expect(await waiting(broker)).toBe(5);
  });

  it("one-shot fires once, then ends", async () => {
    const { clock, scheduler } = await setup();
    await scheduler.create({ id: "o", task: "t", at: new Date(T0 + 3_000) });
    expect(await fireAt(clock, scheduler, T0 + 2_000, T0 + 3_000, T0 + 60_000)).toEqual([0, 1, 0]);
    const info = await scheduler.get("o");
    expect(info?.nextRunAt).toBeNull();
    expect(info?.runs).toBe(1);
  });

  it("stops after the number of iterations", async () => {
    const { clock, scheduler } = await setup();
    await scheduler.create({ id: "n", task: "t", every: 1_000, iterations: 3 });
    const times = Array.from({ length: 6 }, (_, i) => T0 + (i + 1) * 1_000);
    expect(await fireAt(clock, scheduler, ...times)).toEqual([1, 1, 1, 0, 0, 0]);
    expect((await scheduler.get("n"))?.nextRunAt).toBeNull();
  });

  it("keeps to the start and end window", async () => {
    const { clock, scheduler } = await setup();
    await scheduler.create({
      id: "w",
      task: "t",
      every: 1_000,
      startAt: T0 + 5_000,
      endAt: T0 + 8_000,
    });
    expect((await scheduler.get("w"))?.nextRunAt?.getTime()).toBe(T0 + 6_000);
    const times = Array.from({ length: 10 }, (_, i) => T0 + (i + 1) * 1_000);
    expect(await fireAt(clock, scheduler, ...times)).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    expect((await scheduler.get("w"))?.nextRunAt).toBeNull();
    // runImmediately starts at startAt itself.
    await scheduler.create({
      id: "w2",
      task: "t",
      cron: "* * * * * *",
      runImmediately: true,
      startAt: T0 + 20_000,
    });
    expect((await scheduler.get("w2"))?.nextRunAt?.getTime()).toBe(T0 + 20_000);
  });

  it("no-overlap skips a tick while the previous job waits or runs", async () => {
    const { clock, broker, scheduler } = await setup();
    await scheduler.create({ id: "x", task: "noop", input: 1, every: 1_000, noOverlap: true });
    expect(await fireAt(clock, scheduler, T0 + 1_000, T0 + 2_000, T0 + 3_000)).toEqual([1, 0, 0]);
    // A worker runs the job; the next tick fires again.
    const worker = await createWorker({ broker, tasks, queue: "q" });
    await expect.poll(async () => (await broker.stats("q")).waiting).toBe(0);
    await worker.stop();
    expect(await fireAt(clock, scheduler, T0 + 4_000)).toEqual([1]);
    expect((await scheduler.get("x"))?.runs).toBe(2);
  });

  it("skips ticks missed while no scheduler ran", async () => {
    const { clock, broker, scheduler } = await setup();
    await scheduler.create({ id: "m", task: "t", every: "1m" });
    // Down for ten and a half minutes: every due tick is older than the grace time (5 s).
    expect(await fireAt(clock, scheduler, T0 + 630_000)).toEqual([0]);
    expect((await scheduler.get("m"))?.nextRunAt?.getTime()).toBe(T0 + 660_000);
    // 3 s late is within grace: the tick fires.
    expect(await fireAt(clock, scheduler, T0 + 663_000)).toEqual([1]);
    expect(await waiting(broker)).toBe(1);
  });

  it("catches up at most max missed ticks when asked", async () => {
    const { clock, broker, scheduler } = await setup();
    await scheduler.create({ id: "cu", task: "t", every: 1_000, catchUp: { max: 3 } });
    // 70 ticks due: the latest (on time) plus the 3 most recent missed ones.
    expect(await fireAt(clock, scheduler, T0 + 70_000)).toEqual([4]);
    expect(await fireAt(clock, scheduler, T0 + 71_000)).toEqual([1]);
    expect(await waiting(broker)).toBe(5);
  });

  it("pauses, resumes, updates and deletes at runtime", async () => {
    const { clock, broker, scheduler } = await setup();
    await scheduler.create({ id: "p", task: "t", every: 1_000 });
    expect(await fireAt(clock, scheduler, T0 + 1_000)).toEqual([1]);
    expect((await scheduler.pause("p")).paused).toBe(true);
    expect(await fireAt(clock, scheduler, T0 + 2_000, T0 + 3_000)).toEqual([0, 0]);
    const resumed = await scheduler.resume("p");
    expect(resumed.paused).toBe(false);
    expect(resumed.nextRunAt?.getTime()).toBe(T0 + 3_000);
    expect(await fireAt(clock, scheduler, T0 + 3_000, T0 + 4_000)).toEqual([1, 1]);
    const updated = await scheduler.update("p", { every: "10s", input: { n: 2 } });
    expect(updated.nextRunAt?.getTime()).toBe(T0 + 14_000);
    expect(updated.input).toEqual({ n: 2 });
    expect(updated.runs).toBe(3);
    expect(await fireAt(clock, scheduler, T0 + 5_000, T0 + 14_000)).toEqual([0, 1]);
    const switched = await scheduler.update("p", { cron: "0 * * * * *" });
    expect(switched.kind).toBe("cron");
    expect(switched.nextRunAt?.getTime()).toBe(T0 + 60_000);
    expect(await scheduler.delete("p")).toBe(true);
    expect(await scheduler.delete("p")).toBe(false);
    expect(await fireAt(clock, scheduler, T0 + 60_000)).toEqual([0]);
    expect(await waiting(broker)).toBe(4);
  });

  it("set() is idempotent for an unchanged definition and replaces a changed one", async () => {
    const { clock, scheduler } = await setup();
    await scheduler.set({ id: "s", task: "t", every: 1_000 });
    await fireAt(clock, scheduler, T0 + 1_000);
    await scheduler.pause("s");
    const again = await scheduler.set({ id: "s", task: "t", every: 1_000 });
    expect(again.runs).toBe(1);
    expect(again.paused).toBe(true);
    const changed = await scheduler.set({ id: "s", task: "t", every: 2_000 });
    expect(changed.runs).toBe(0);
    await expect(scheduler.create({ id: "s", task: "t", every: 1 })).rejects.toThrow(/exists/);
  });

  it("jobs carry the schedule's job options and survive a new scheduler (stored in the broker)", async () => {
    const { clock, broker, scheduler } = await setup();
    await scheduler.create({
      id: "j",
      task: "t",
      every: 1_000,
      job: { priority: 7, attempts: 4, timeoutMs: 900 },
    });
    await scheduler.stop();
    const other = await createScheduler({ broker, clock });
    expect((await other.list()).map((s) => s.id)).toEqual(["j"]);
    expect(await fireAt(clock, other, T0 + 1_000)).toEqual([1]);
    const [d] = await broker.reserve("q", { max: 1, leaseMs: 1_000 });
    expect(d).toMatchObject({ task: "t", priority: 7, maxAttempts: 4, timeoutMs: 900 });
  });

  it("the loop sleeps until the next due tick and fires on its own", async () => {
    const { clock, broker, scheduler } = await setup();
    await scheduler.create({ id: "loop", task: "t", cron: "*/2 * * * * *" });
    await scheduler.start();
    await clock.advance(10_000);
    expect(await waiting(broker)).toBe(5);
    // Created by another scheduler while this one sleeps: seen at once (announced).
    const other = await createScheduler({ broker, clock, queue: "q" });
    await other.create({ id: "late", task: "t", every: 500, iterations: 2 });
    await clock.advance(1_000);
    expect(await waiting(broker)).toBe(5 + 2);
    await scheduler.stop();
    await clock.advance(10_000);
    expect(await waiting(broker)).toBe(7);
    expect(clock.pending).toBe(0);
  });
});

describe("many schedulers on one broker", () => {
  it("three schedulers over many ticks enqueue exactly one job per tick", async () => {
    const clock = new ManualClock(T0);
    const broker = new MemoryBroker({ now: () => clock.now() });
    cleanups.push(() => broker.close());
    const schedulers = await Promise.all(
      [1, 2, 3].map(() => createScheduler({ broker, queue: "q", clock })),
    );
    for (const s of schedulers) cleanups.push(() => s.stop());
    await schedulers[0]!.create({ id: "a", task: "t", every: 250 });
    await schedulers[1]!.create({ id: "b", task: "t", cron: "* * * * * *" });
    for (const s of schedulers) await s.start();
    await clock.advance(30_000);
    // Ticks in (T0, T0 + 30 s]: 120 for "a", 30 for "b".
    expect(await waiting(broker)).toBe(150);
    const fired = schedulers.map((s) => s.fired);
    expect(fired.reduce((a, b) => a + b, 0)).toBe(150);
    // And racing passes at the same instant never double-fire.
    await clock.advanceTo(T0 + 30_250);
    const counts = await Promise.all(schedulers.map((s) => s.tick()));
    expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1);
    expect(await waiting(broker)).toBe(151);
  });
});
