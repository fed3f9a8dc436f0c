import type { Broker, BrokerCapabilities, Delivery, NewJob } from "@platoon/core";
import fc from "fast-check";
import { type TestApi, waitFor } from "./api.ts";

export interface BrokerSuiteOptions {
  name: string;
  /** A fresh broker; queues are unique per test, so one shared server is fine. */
  create: () => Broker | Promise<Broker>;
  /** What the broker lacks; matching cases are skipped. */
  capabilities?: BrokerCapabilities;
  /** Property-based runs (each a random interleaving). Default 25. */
  propertyRuns?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
let queueCounter = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function job(id: string, extra: Partial<NewJob> = {}): NewJob {
  return { id, task: "t", payload: enc.encode(id), ...extra };
}

/** The broker contract, as every broker must keep it. */
export function brokerSuite(api: TestApi, options: BrokerSuiteOptions): void {
  const { describe, it, expect } = api;
  const caps = options.capabilities ?? {};
  const brokers: Broker[] = [];
  const fresh = async () => {
    const b = await options.create();
    brokers.push(b);
    return { b, q: `suite-${Date.now().toString(36)}-${++queueCounter}` };
  };
  const reserveAll = (b: Broker, q: string, max = 100, leaseMs = 30_000) =>
    b.reserve(q, { max, leaseMs });

  describe(`brokerSuite: ${options.name}`, () => {
    api.afterAll?.(async () => {
      await Promise.all(brokers.map((b) => b.close().catch(() => {})));
    });

    it("delivers in FIFO order with attempt 1, payload intact and a lease token", async () => {
      const { b, q } = await fresh();
      const res = await b.enqueue(q, [job("a"), job("b"), job("c")]);
      expect(res.map((r) => r.duplicate)).toEqual([false, false, false]);
      const got = await b.reserve(q, { max: 2, leaseMs: 10_000 });
      expect(got.map((d) => d.id)).toEqual(["a", "b"]);
      expect(dec.decode(got[0]!.payload)).toBe("a");
      expect(got[0]!.payload).toBeInstanceOf(Uint8Array);
      expect(got[0]!.attempt).toBe(1);
      expect(got[0]!.queue).toBe(q);
      expect(typeof got[0]!.token).toBe("string");
      expect(got[0]!.token).not.toBe(got[1]!.token);
      expect((await reserveAll(b, q)).map((d) => d.id)).toEqual(["c"]);
      expect(await reserveAll(b, q)).toEqual([]);
    });

    (caps.priorities === false ? skip : it)(
      "delivers higher priority first, FIFO within a priority",
      async () => {
        const { b, q } = await fresh();
        await b.enqueue(q, [
          job("low1"),
          job("hi1", { priority: 5 }),
          job("low2"),
          job("hi2", { priority: 5 }),
          job("mid", { priority: 1 }),
        ]);
        expect((await reserveAll(b, q)).map((d) => d.id)).toEqual([
          "hi1",
          "hi2",
          "mid",
          "low1",
          "low2",
        ]);
      },
    );

    (caps.delays === false ? skip : it)("holds a delayed job until its time", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("later", { runAt: Date.now() + 150 }), job("now")]);
      expect((await reserveAll(b, q)).map((d) => d.id)).toEqual(["now"]);
      expect((await b.stats(q)).delayed).toBe(1);
      const later = await waitFor(
        async () => {
          const got = await reserveAll(b, q);
          return got.length > 0 ? got : undefined;
        },
        { what: "the delayed job" },
      );
      expect(later.map((d) => d.id)).toEqual(["later"]);
    });

    it("completes a job: result kept, waiters told, job gone", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("j", { resultTtlMs: 60_000 })]);
      const waiting = b.waitResult(q, "j", 5_000);
      const [d] = await reserveAll(b, q);
      const settled = await b.settle(q, [
        { kind: "complete", id: d!.id, token: d!.token, result: enc.encode("done") },
      ]);
      expect(settled).toEqual([{ id: "j", ok: true }]);
      const result = await waiting;
      expect(result?.status).toBe("completed");
      expect(dec.decode((result as { value: Uint8Array }).value)).toBe("done");
      expect((await b.getResult(q, "j"))?.status).toBe("completed");
      const stats = await b.stats(q);
      expect([stats.waiting, stats.active, stats.delayed]).toEqual([0, 0, 0]);
      expect((await b.getJob(q, "j"))?.state).toBe("completed");
    });

    it("waitResult gives undefined after its timeout", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("slow")]);
      expect(await b.waitResult(q, "slow", 50)).toBeUndefined();
    });

    it("keeps no result when resultTtlMs is 0, and drops results after their ttl", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("none", { resultTtlMs: 0 }), job("short", { resultTtlMs: 100 })]);
      const ds = await reserveAll(b, q);
      await b.settle(
        q,
        ds.map((d) => ({
          kind: "complete" as const,
          id: d.id,
          token: d.token,
          result: enc.encode("r"),
        })),
      );
      expect(await b.getResult(q, "none")).toBeUndefined();
      expect((await b.getResult(q, "short"))?.status).toBe("completed");
      await waitFor(async () => (await b.getResult(q, "short")) === undefined, {
        what: "result expiry",
      });
    });

    it("refuses a settle or extend with a wrong token", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("x")]);
      const [d] = await reserveAll(b, q);
      expect(
        await b.settle(q, [
          { kind: "complete", id: "x", token: "forged", result: new Uint8Array() },
        ]),
      ).toEqual([{ id: "x", ok: false, reason: "stale-lease" }]);
      expect(await b.extend(q, [{ id: "x", token: "forged" }], 1000)).toEqual([false]);
      expect(
        await b.settle(q, [{ kind: "complete", id: "nope", token: "t", result: new Uint8Array() }]),
      ).toEqual([{ id: "nope", ok: false, reason: "unknown-job" }]);
      expect(
        (
          await b.settle(q, [
            { kind: "complete", id: "x", token: d!.token, result: new Uint8Array() },
          ])
        )[0]!.ok,
      ).toBe(true);
      expect(
        (
          await b.settle(q, [
            { kind: "complete", id: "x", token: d!.token, result: new Uint8Array() },
          ])
        )[0]!.ok,
      ).toBe(false);
    });

    it("redelivers after the lease expires, and refuses the first holder's token", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("lease")]);
      const [first] = await b.reserve(q, { max: 1, leaseMs: 80 });
      const [second] = await waitFor(
        async () => {
          const got = await b.reserve(q, { max: 1, leaseMs: 10_000 });
          return got.length ? got : undefined;
        },
        { what: "redelivery" },
      );
      expect(second!.id).toBe("lease");
      expect(second!.attempt).toBe(2);
      const zombie = await b.settle(q, [
        { kind: "complete", id: "lease", token: first!.token, result: new Uint8Array() },
      ]);
      expect(zombie[0]).toEqual({ id: "lease", ok: false, reason: "stale-lease" });
      expect(
        (
          await b.settle(q, [
            { kind: "complete", id: "lease", token: second!.token, result: new Uint8Array() },
          ])
        )[0]!.ok,
      ).toBe(true);
    });

    it("extend keeps a lease alive past its first deadline", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("ext")]);
      const [d] = await b.reserve(q, { max: 1, leaseMs: 150 });
      expect(await b.extend(q, [{ id: d!.id, token: d!.token }], 5_000)).toEqual([true]);
      await sleep(250); // past the original deadline: the point of this test is that nothing happens
      expect(await reserveAll(b, q)).toEqual([]);
      expect((await b.stats(q)).active).toBe(1);
    });

    it("retry puts the job back at its time with the next attempt", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("r", { maxAttempts: 3 })]);
      const [d] = await reserveAll(b, q);
      const error = { name: "Error", message: "boom" };
      await b.settle(q, [
        { kind: "retry", id: "r", token: d!.token, runAt: Date.now() + 60, error },
      ]);
      expect(await reserveAll(b, q)).toEqual([]);
      const again = await waitFor(
        async () => {
          const got = await reserveAll(b, q);
          return got.length ? got : undefined;
        },
        { what: "the retried job" },
      );
      expect(again[0]!.attempt).toBe(2);
      expect(again[0]!.maxAttempts).toBe(3);
    });

    it("requeue hands a job back without counting the attempt", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("rq")]);
      const [d] = await reserveAll(b, q);
      await b.settle(q, [{ kind: "requeue", id: "rq", token: d!.token }]);
      const [again] = await reserveAll(b, q);
      expect(again!.attempt).toBe(1);
    });

    it("dead-letters, lists, requeues with fresh attempts, deletes", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("d1"), job("d2")]);
      const ds = await reserveAll(b, q);
      const error = {
        name: "TypeError",
        message: "bad input",
        stack: "TypeError: bad input\n    at x",
      };
      await b.settle(
        q,
        ds.map((d) => ({ kind: "dead" as const, id: d.id, token: d.token, error })),
      );
      const dead = await b.listDead(q);
      expect(dead.map((x) => x.id).sort()).toEqual(["d1", "d2"]);
      expect(dead[0]!.error).toMatchObject({ name: "TypeError", message: "bad input" });
      expect(dec.decode(dead[0]!.payload)).toBe(dead[0]!.id);
      const failed = await b.getResult(q, "d1");
      expect(failed).toMatchObject({ status: "failed", error: { message: "bad input" } });
      expect((await b.stats(q)).dead).toBe(2);
      expect(await b.requeueDead(q, ["d1"])).toBe(1);
      const [again] = await reserveAll(b, q);
      expect(again!.id).toBe("d1");
      expect(again!.attempt).toBe(1);
      expect(await b.deleteDead(q)).toBe(1);
      expect(await b.listDead(q)).toEqual([]);
    });

    it("forgives one lost lease, then dead-letters a job that keeps losing them", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("killer", { maxAttempts: 1 })]);
      await b.reserve(q, { max: 1, leaseMs: 50 });
      const [second] = await waitFor(
        async () => {
          const got = await b.reserve(q, { max: 1, leaseMs: 50 });
          return got.length ? got : undefined;
        },
        { what: "the forgiven redelivery" },
      );
      expect(second!.attempt).toBe(2);
      // The second lease lapses too: now the job must be dead-lettered, never delivered.
      await waitFor(
        async () => {
          expect(await reserveAll(b, q)).toEqual([]);
          return (await b.stats(q)).dead === 1;
        },
        { what: "dead letter" },
      );
      const [dead] = await b.listDead(q);
      expect(dead!.error.fault).toBe("LeaseExpired");
      expect((await b.getResult(q, "killer"))?.status).toBe("failed");
    });

    it("is idempotent on idempotencyKey", async () => {
      const { b, q } = await fresh();
      const [a] = await b.enqueue(q, [job("first", { idempotencyKey: "k" })]);
      const [again] = await b.enqueue(q, [job("second", { idempotencyKey: "k" })]);
      expect(a).toEqual({ id: "first", duplicate: false });
      expect(again).toEqual({ id: "first", duplicate: true });
      expect((await b.stats(q)).waiting).toBe(1);
    });

    it("cancels waiting and delayed jobs, not running ones", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("run"), job("wait"), job("delayed", { runAt: Date.now() + 60_000 })]);
      const [running] = await b.reserve(q, { max: 1, leaseMs: 10_000 });
      expect(running!.id).toBe("run");
      expect(await b.cancel(q, "run")).toBe(false);
      const told = b.waitResult(q, "wait", 5_000);
      expect(await b.cancel(q, "wait")).toBe(true);
      expect(await b.cancel(q, "delayed")).toBe(true);
      expect((await told)?.status).toBe("cancelled");
      expect(await reserveAll(b, q)).toEqual([]);
      expect(await b.cancel(q, "missing")).toBe(false);
    });

    it("counts jobs by state and purges waiting and delayed ones", async () => {
      const { b, q } = await fresh();
      await b.enqueue(q, [job("1"), job("2"), job("3"), job("4", { runAt: Date.now() + 60_000 })]);
      await b.reserve(q, { max: 1, leaseMs: 10_000 });
      expect(await b.stats(q)).toMatchObject({
        queue: q,
        waiting: 2,
        delayed: 1,
        active: 1,
        dead: 0,
      });
      expect(await b.purge(q)).toBe(3);
      expect(await b.stats(q)).toMatchObject({ waiting: 0, delayed: 0, active: 1 });
    });

    it("a waiting reserve wakes on enqueue", async () => {
      const { b, q } = await fresh();
      const started = Date.now();
      const pending = b.reserve(q, { max: 10, leaseMs: 10_000, waitMs: 5_000 });
      await sleep(30);
      await b.enqueue(q, [job("wake")]);
      const got = await pending;
      expect(got.map((d) => d.id)).toEqual(["wake"]);
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it("a waiting reserve returns empty after waitMs, and at once when aborted", async () => {
      const { b, q } = await fresh();
      expect(await b.reserve(q, { max: 1, leaseMs: 1000, waitMs: 60 })).toEqual([]);
      const controller = new AbortController();
      const pending = b.reserve(q, {
        max: 1,
        leaseMs: 1000,
        waitMs: 30_000,
        signal: controller.signal,
      });
      controller.abort();
      const started = Date.now();
      expect(await pending).toEqual([]);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    (caps.locks === false ? skip : it)(
      "locks: one owner at a time, owner-checked release and extend, ttl",
      async () => {
        const { b } = await fresh();
        const name = `lock-${++queueCounter}-${Date.now()}`;
        expect(await b.acquireLock(name, "a", 10_000)).toBe(true);
        expect(await b.acquireLock(name, "b", 10_000)).toBe(false);
        expect(await b.isLocked(name)).toBe(true);
        expect(await b.releaseLock(name, "b")).toBe(false);
        expect(await b.extendLock(name, "b", 10_000)).toBe(false);
        expect(await b.extendLock(name, "a", 10_000)).toBe(true);
        expect(await b.releaseLock(name, "a")).toBe(true);
        expect(await b.isLocked(name)).toBe(false);
        expect(await b.acquireLock(name, "b", 60)).toBe(true);
        await waitFor(async () => !(await b.isLocked(name)), { what: "lock ttl" });
        expect(await b.acquireLock(name, "a", 1000)).toBe(true);
      },
    );

    (caps.schedules === false ? skip : it)(
      "schedules: store, list, and exactly one claim per tick",
      async () => {
        const { b, q } = await fresh();
        const id = `sched-${q}`;
        await b.saveSchedule({
          id,
          queue: q,
          spec: "{}",
          nextRunAt: 1000,
          paused: false,
          updatedAt: 0,
        });
        expect((await b.listSchedules(q)).map((s) => s.id)).toEqual([id]);
        const claims = await Promise.all(
          [1, 2, 3, 4, 5].map((n) => b.claimScheduleTick(id, 1000, 2000, [job(`tick-${n}`)])),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect((await b.getSchedule(id))?.nextRunAt).toBe(2000);
        expect((await reserveAll(b, q)).length).toBe(1);
        expect(await b.claimScheduleTick(id, 1000, 3000, [])).toBe(false);
        await b.saveSchedule({
          id,
          queue: q,
          spec: "{}",
          nextRunAt: 2000,
          paused: true,
          updatedAt: 1,
        });
        expect(await b.claimScheduleTick(id, 2000, 3000, [])).toBe(false);
        expect(await b.deleteSchedule(id)).toBe(true);
        expect(await b.getSchedule(id)).toBeUndefined();
      },
    );

    (caps.control === false ? skip : it)(
      "control channel: publish reaches subscribers until they leave",
      async () => {
        const { b, q } = await fresh();
        const seen: string[] = [];
        const off = await b.subscribe(`ctl-${q}`, (m) => seen.push(dec.decode(m)));
        await b.publish(`ctl-${q}`, enc.encode("ping"));
        await waitFor(() => seen.length === 1, { what: "control message" });
        await off();
        await b.publish(`ctl-${q}`, enc.encode("after"));
        await b.publish(`ctl-other-${q}`, enc.encode("other"));
        await sleep(50); // nothing should arrive; give a wrong implementation the chance to show it
        expect(seen).toEqual(["ping"]);
      },
    );

    it("property: interleaved enqueue, reserve, settle and lease expiry never lose or double-settle a job", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.record({
                op: fc.constant("enqueue" as const),
                n: fc.integer({ min: 1, max: 4 }),
                priority: fc.integer({ min: 0, max: 2 }),
              }),
              fc.record({
                op: fc.constant("reserve" as const),
                max: fc.integer({ min: 1, max: 5 }),
                short: fc.boolean(),
              }),
              fc.record({
                op: fc.constant("settle" as const),
                pick: fc.nat(),
                how: fc.constantFrom("complete", "retry", "requeue", "dead"),
              }),
              fc.record({ op: fc.constant("expire" as const) }),
            ),
            { maxLength: 30 },
          ),
          async (ops) => {
            const { b, q } = await fresh();
            const enqueued = new Set<string>();
            const finished = new Map<string, number>();
            let held: Delivery[] = [];
            let n = 0;
            const settleOne = async (d: Delivery, how: string) => {
              const error = { name: "E", message: "x" };
              const s =
                how === "complete"
                  ? {
                      kind: "complete" as const,
                      id: d.id,
                      token: d.token,
                      result: new Uint8Array([1]),
                    }
                  : how === "dead"
                    ? { kind: "dead" as const, id: d.id, token: d.token, error }
                    : how === "retry"
                      ? { kind: "retry" as const, id: d.id, token: d.token, runAt: 0, error }
                      : { kind: "requeue" as const, id: d.id, token: d.token };
              const [r] = await b.settle(q, [s]);
              if (r!.ok && (how === "complete" || how === "dead"))
                finished.set(d.id, (finished.get(d.id) ?? 0) + 1);
            };
            for (const step of ops) {
              if (step.op === "enqueue") {
                const jobs = Array.from({ length: step.n }, () =>
                  job(`p${++n}`, { priority: step.priority }),
                );
                await b.enqueue(q, jobs);
                for (const j of jobs) enqueued.add(j.id);
              } else if (step.op === "reserve") {
                held.push(
                  ...(await b.reserve(q, { max: step.max, leaseMs: step.short ? 5 : 60_000 })),
                );
              } else if (step.op === "settle" && held.length > 0) {
                const d = held.splice(step.pick % held.length, 1)[0]!;
                await settleOne(d, step.how);
              } else if (step.op === "expire") {
                await sleep(8);
              }
            }
            // Drain: stale holders try to settle too (they must be refused), then finish everything.
            for (const d of held) await settleOne(d, "complete");
            held = [];
            for (let rounds = 0; rounds < 200; rounds++) {
              const got = await b.reserve(q, { max: 50, leaseMs: 60_000 });
              if (got.length === 0) {
                const s = await b.stats(q);
                if (s.waiting + s.delayed + s.active === 0) break;
                await sleep(6);
                continue;
              }
              for (const d of got) await settleOne(d, "complete");
            }
            for (const id of enqueued) {
              if (finished.get(id) !== 1)
                throw new Error(`job ${id} finished ${finished.get(id) ?? 0} times`);
            }
            expect(finished.size).toBe(enqueued.size);
          },
        ),
        { numRuns: options.propertyRuns ?? 25 },
      );
    }, 60_000);
  });
}

function skip(_name: string, _fn: () => unknown, _timeout?: number): void {}
