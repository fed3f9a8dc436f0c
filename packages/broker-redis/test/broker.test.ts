import { waitFor } from "@platoon/testkit";
import { RedisServer } from "@platoon/testkit/redis-server";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";
import { brokers, completions, dec, enc, job, sleep, uniqueQueue, within } from "./helpers.ts";

let server: RedisServer;
let admin: Redis;
const pool = brokers(() => server);

/** Subscribers of a pub/sub channel, by Redis' own count. */
async function subscribers(channel: string): Promise<number> {
  const reply = (await admin.call("PUBSUB", "NUMSUB", channel)) as [string, number];
  return Number(reply[1]);
}

/** Ids of the connections blocked in BZPOPMIN right now (a reserve waiting for work). */
async function blockedReserves(): Promise<string[]> {
  const list = (await admin.call("CLIENT", "LIST")) as string;
  return list
    .split("\n")
    .filter((l) => /\bflags=\w*b/.test(l) && /\bcmd=bzpopmin\b/.test(l))
    .map((l) => /\bid=(\d+)/.exec(l)![1]!);
}

/** Waits until `n` reserves block in Redis, besides those in `before`. */
async function waitForBlockedReserves(n: number, before: string[]): Promise<void> {
  await waitFor(
    async () => (await blockedReserves()).filter((id) => !before.includes(id)).length >= n,
    { timeoutMs: 20_000, what: `${n} reserve(s) blocked in BZPOPMIN` },
  );
}
beforeAll(async () => {
  server = await RedisServer.start();
  admin = new Redis(server.port, "127.0.0.1");
});
afterAll(async () => {
  await pool.closeAll();
  admin?.disconnect();
  await server?.stop();
});

describe("leases", () => {
  it("extends many leases in one call and refuses stale tokens", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("a"), job("b"), job("c")]);
    const ds = await b.reserve(q, { max: 3, leaseMs: 100 });
    const ok = await b.extend(
      q,
      [...ds.map((d) => ({ id: d.id, token: d.token })), { id: "a", token: "stale" }],
      10_000,
    );
    expect(ok).toEqual([true, true, true, false]);
    await sleep(200); // on purpose past the original 100 ms lease: only the extension holds them
    expect(await b.reserve(q, { max: 10, leaseMs: 1000 })).toEqual([]);
    expect((await b.stats(q)).active).toBe(3);
  });

  it("another worker recovers an expired lease inside reserve, with no daemon", async () => {
    const crashed = pool.make();
    const survivor = pool.make();
    const q = uniqueQueue();
    await crashed.enqueue(q, [job("orphan")]);
    const [first] = await crashed.reserve(q, { max: 1, leaseMs: 50 });
    await crashed.close(); // the holder dies without settling
    const [again] = await survivor.reserve(q, { max: 1, leaseMs: 10_000, waitMs: 15_000 });
    expect(again?.id).toBe("orphan");
    expect(again?.attempt).toBe(2);
    expect(again?.token).not.toBe(first?.token);
    const [stale] = await survivor.settle(q, [
      { kind: "complete", id: "orphan", token: first!.token, result: enc.encode("zombie") },
    ]);
    expect(stale).toEqual({ id: "orphan", ok: false, reason: "stale-lease" });
  });

  it("a blocked reserve wakes when a lease comes due", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("x")]);
    await b.reserve(q, { max: 1, leaseMs: 150 });
    // Without the wake at the lease's deadline this reserve would sit out its full 60 s wait;
    // the 20 s bound only proves that it did not (not a speed check).
    const got = await within(
      b.reserve(q, { max: 1, leaseMs: 1000, waitMs: 60_000 }),
      20_000,
      "reserve woken when the lease came due",
    );
    expect(got.map((d) => d.id)).toEqual(["x"]);
  }, 60_000);

  it("dead-letters a job without maxAttempts after maxDeliveries expired leases", async () => {
    const b = pool.make({ maxDeliveries: 2 });
    const q = uniqueQueue();
    await b.enqueue(q, [job("hang")]);
    await b.reserve(q, { max: 1, leaseMs: 20 });
    await sleep(40); // let the 20 ms lease expire on purpose (the "hang")
    const [second] = await b.reserve(q, { max: 1, leaseMs: 20 });
    expect(second?.attempt).toBe(2);
    await sleep(40); // and the second one
    expect(await b.reserve(q, { max: 1, leaseMs: 20 })).toEqual([]);
    const [dead] = await b.listDead(q);
    expect(dead).toMatchObject({ id: "hang", attempt: 2, error: { fault: "LeaseExpired" } });
    expect(dead!.error.message).toMatch(/delivered 2 times/);
  });

  it("requeue gives the attempt back; retry keeps it", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("r")]);
    let [d] = await b.reserve(q, { max: 1, leaseMs: 10_000 });
    await b.settle(q, [
      { kind: "retry", id: "r", token: d!.token, runAt: 0, error: { name: "E", message: "x" } },
    ]);
    [d] = await b.reserve(q, { max: 1, leaseMs: 10_000 });
    expect(d!.attempt).toBe(2);
    await b.settle(q, [{ kind: "requeue", id: "r", token: d!.token }]);
    [d] = await b.reserve(q, { max: 1, leaseMs: 10_000 });
    expect(d!.attempt).toBe(2);
    expect((await b.getJob(q, "r"))?.state).toBe("active");
  });
});

describe("ordering and timing", () => {
  it("orders by priority (negative, fractional) and FIFO within one", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [
      job("n1", { priority: -1 }),
      job("z1"),
      job("h1", { priority: 2.5 }),
      job("z2"),
      job("h2", { priority: 2.5 }),
      job("n2", { priority: -1 }),
    ]);
    const got = await b.reserve(q, { max: 10, leaseMs: 1000 });
    expect(got.map((d) => d.id)).toEqual(["h1", "h2", "z1", "z2", "n1", "n2"]);
    expect(got[0]!.priority).toBe(2.5);
  });

  it("promotes delayed jobs atomically during reserve, keeping their runAt as readyAt", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const runAt = Date.now() + 100;
    await b.enqueue(q, [job("d", { runAt })]);
    expect((await b.getJob(q, "d"))?.state).toBe("delayed");
    const [d] = await b.reserve(q, { max: 1, leaseMs: 1000, waitMs: 3_000 });
    expect(d?.id).toBe("d");
    expect(d!.readyAt).toBe(runAt);
    expect(Date.now()).toBeGreaterThanOrEqual(runAt - 5);
  });

  it("reserves and extends more jobs in one call than Lua could unpack at once", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(
      q,
      Array.from({ length: 9_000 }, (_, i) => job(`big${i}`)),
    );
    const ds = await b.reserve(q, { max: 9_000, leaseMs: 10_000 });
    expect(ds.length).toBe(9_000);
    expect(ds[8_999]!.id).toBe("big8999");
    const ok = await b.extend(
      q,
      ds.map((d) => ({ id: d.id, token: d.token })),
      10_000,
    );
    expect(ok.every(Boolean)).toBe(true);
    const settled = await b.settle(q, completions(ds));
    expect(settled.filter((s) => s.ok).length).toBe(9_000);
    await expect(b.enqueue(q, [job("nan", { priority: Number.NaN })])).rejects.toMatchObject({
      code: "BROKER",
    });
  });

  it("settleAndReserve settles and hands out the next jobs in one call", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(
      q,
      Array.from({ length: 5 }, (_, i) => job(`s${i}`)),
    );
    const first = await b.reserve(q, { max: 2, leaseMs: 10_000 });
    const { settled, deliveries } = await b.settleAndReserve(
      q,
      completions(first, () => enc.encode("ok")),
      { max: 10, leaseMs: 10_000 },
    );
    expect(settled.map((s) => s.ok)).toEqual([true, true]);
    expect(deliveries.map((d) => d.id)).toEqual(["s2", "s3", "s4"]);
    expect((await b.getResult(q, "s0"))?.status).toBe("completed");
  });

  it("carries every job option through to the delivery", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const payload = new Uint8Array([0, 255, 10, 13, 124, 0, 1]);
    await b.enqueue(q, [
      {
        id: "full",
        task: 'task|with\nodd "chars" ü',
        payload,
        priority: 3,
        maxAttempts: 4,
        backoff: { type: "exponential", delayMs: 10, maxDelayMs: 100 },
        timeoutMs: 1234,
        traceId: "trace-1",
        resultTtlMs: 5_000,
        createdAt: 42,
      },
    ]);
    const [d] = await b.reserve(q, { max: 1, leaseMs: 1000, consumer: "w1" });
    expect(d).toMatchObject({
      id: "full",
      task: 'task|with\nodd "chars" ü',
      priority: 3,
      attempt: 1,
      maxAttempts: 4,
      backoff: { type: "exponential", delayMs: 10, maxDelayMs: 100 },
      timeoutMs: 1234,
      traceId: "trace-1",
      resultTtlMs: 5_000,
      createdAt: 42,
    });
    expect(Array.from(d!.payload)).toEqual(Array.from(payload));
    expect(Object.getPrototypeOf(d!.payload)).toBe(Uint8Array.prototype);
    // The token is the lease batch's nonce, a flag ("!": the job has a ttl of its own) and
    // the id; the batch is a member of the active set scored by its deadline, and its set
    // holds the job.
    const nonce = d!.token.slice(0, 16);
    expect(d!.token).toBe(`${nonce}!full`);
    const P = b.keys.queue(q);
    expect(Number(await admin.zscore(`${P}active`, nonce))).toBe(d!.leaseDeadline);
    expect(await admin.smembers(`${P}L:${nonce}`)).toEqual(["full"]);
  });
});

describe("results, idempotency, cancel", () => {
  it("waitResult is woken by pub/sub, not by polling", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("w")]);
    await admin.config("RESETSTAT");
    const looks = async () => {
      const stats = await admin.info("commandstats");
      const calls = (name: string) =>
        Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      return calls("get") + calls("mget");
    };
    const waiting = b.waitResult(q, "w", 60_000);
    await waitFor(async () => (await subscribers(b.keys.doneChannel(q))) === 1, {
      timeoutMs: 20_000,
      what: "the waiter's subscription",
    });
    await waitFor(async () => (await looks()) >= 1, {
      timeoutMs: 20_000,
      what: "the one look after subscribing",
    });
    // A window in which a polling waiter would look again: asserting that nothing happens
    // needs a fixed wait.
    await sleep(400);
    expect(await looks()).toBe(1);
    const [d] = await b.reserve(q, { max: 1, leaseMs: 1000 });
    await b.settle(q, [{ kind: "complete", id: "w", token: d!.token, result: enc.encode("v") }]);
    // Nothing polls, so only the announcement can wake it before its 60 s timeout; the 20 s
    // bound proves that it did (not a speed check).
    const r = await within(waiting, 20_000, "waiter woken by the done announcement");
    expect(r?.status === "completed" && dec.decode(r.value)).toBe("v");
  }, 60_000);

  it("many waiters on one queue share one subscription and each get their result", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const ids = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await b.enqueue(
      q,
      ids.map((id) => job(id)),
    );
    const waits = ids.map((id) => b.waitResult(q, id, 10_000));
    const ds = await b.reserve(q, { max: 50, leaseMs: 10_000 });
    await b.settle(
      q,
      completions(ds, (d) => enc.encode(d.id)),
    );
    const results = await Promise.all(waits);
    expect(results.map((r) => r?.status === "completed" && dec.decode(r.value))).toEqual(ids);
  });

  it("thousands of waiters on one queue share one subscription", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const ids = Array.from({ length: 2_000 }, (_, i) => `many${i}`);
    await b.enqueue(
      q,
      ids.map((id) => job(id)),
    );
    const waits = ids.map((id) => b.waitResult(q, id, 60_000));
    const queueChannels = async () =>
      ((await admin.call("PUBSUB", "CHANNELS")) as string[]).filter((c) =>
        c.startsWith(b.keys.queue(q)),
      );
    expect(
      await waitFor(
        async () => ((await queueChannels()).length > 0 ? queueChannels() : undefined),
        {
          timeoutMs: 20_000,
          what: "the shared subscription",
        },
      ),
    ).toEqual([b.keys.doneChannel(q)]);
    for (;;) {
      const ds = await b.reserve(q, { max: 500, leaseMs: 10_000 });
      if (ds.length === 0) break;
      await b.settle(
        q,
        completions(ds, () => enc.encode("ok")),
      );
    }
    const results = await Promise.all(waits);
    expect(results.every((r) => r?.status === "completed")).toBe(true);
    // With no waiter left, the shared subscription is dropped.
    await waitFor(async () => (await queueChannels()).length === 0, {
      timeoutMs: 20_000,
      what: "unsubscribe",
    });
  });

  it("the waits of one tick look with one MGET; the subscription outlives the last waiter a while", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const ids = Array.from({ length: 300 }, (_, i) => `t${i}`);
    await b.enqueue(
      q,
      ids.map((id) => job(id)),
    );
    const mgets = async () =>
      Number(/cmdstat_mget:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);
    const before = await mgets();
    const waits = ids.map((id) => b.waitResult(q, id, 20_000));
    const ds = await b.reserve(q, { max: 300, leaseMs: 10_000 });
    await b.settle(
      q,
      completions(ds, () => enc.encode("")),
    );
    const results = await Promise.all(waits);
    expect(results.every((r) => r?.status === "completed")).toBe(true);
    // One first look for all 300, one fetch for the announcement: not 300 GETs.
    expect((await mgets()) - before).toBeLessThanOrEqual(3);
    // Right after the last waiter the subscription is still there, so the next wait (as
    // in a loop of `await client.run(...)`) needs no new one; it goes on its own later.
    expect(await subscribers(b.keys.doneChannel(q))).toBe(1);
    await waitFor(async () => (await subscribers(b.keys.doneChannel(q))) === 0, {
      timeoutMs: 20_000,
      what: "the lingering subscription to go",
    });
  });

  it("a waiter whose subscriber connection dropped still gets a result that landed meanwhile", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("lost")]);
    const waiting = b.waitResult(q, "lost", 60_000);
    await waitFor(async () => (await subscribers(b.keys.doneChannel(q))) === 1, {
      timeoutMs: 20_000,
      what: "the waiter's subscription",
    });
    await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    const [d] = await b.reserve(q, { max: 1, leaseMs: 10_000 });
    await b.settle(q, [{ kind: "complete", id: "lost", token: d!.token, result: enc.encode("v") }]);
    expect((await within(waiting, 20_000, "waiter after a resubscribe"))?.status).toBe("completed");
  }, 60_000);

  it("a result is kept for its ttl only, and the job leaves no keys behind", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [
      // 1 s: long enough that a stalled (loaded) test process still sees the key alive below.
      job("t1", { resultTtlMs: 1_000, idempotencyKey: "k1" }),
      job("t2", { resultTtlMs: 0 }),
    ]);
    const ds = await b.reserve(q, { max: 2, leaseMs: 1000 });
    await b.settle(
      q,
      completions(ds, () => enc.encode("r")),
    );
    const pttl = await admin.pttl(b.keys.result(q, "t1"));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1_000);
    expect(await admin.pttl(`${b.keys.queue(q)}i:k1`)).toBeGreaterThan(0);
    await waitFor(async () => (await b.getResult(q, "t1")) === undefined, {
      timeoutMs: 20_000,
      what: "the result to expire",
    });
    expect((await b.stats(q)).results).toBe(0);
    const left = await admin.keys(`${b.keys.queue(q)}*`);
    // What stays: the one-member wake marker and the (now empty-scored) results index.
    expect(left.filter((k) => !k.endsWith(":results") && !k.endsWith(":marker"))).toEqual([]);
  });

  it("idempotency holds while the first job or its result is kept, then frees the key", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    // 1 s: long enough that a stalled (loaded) test process still sees it held below.
    expect(await b.enqueue(q, [job("i1", { idempotencyKey: "same", resultTtlMs: 1_000 })])).toEqual(
      [{ id: "i1", duplicate: false }],
    );
    const [d] = await b.reserve(q, { max: 1, leaseMs: 1000 });
    await b.settle(q, [{ kind: "complete", id: "i1", token: d!.token, result: new Uint8Array() }]);
    expect(await b.enqueue(q, [job("i2", { idempotencyKey: "same" })])).toEqual([
      { id: "i1", duplicate: true },
    ]);
    await waitFor(async () => (await b.getResult(q, "i1")) === undefined, {
      timeoutMs: 20_000,
      what: "the first job's result to expire",
    });
    expect(await b.enqueue(q, [job("i3", { idempotencyKey: "same" })])).toEqual([
      { id: "i3", duplicate: false },
    ]);
  });

  it("refuses a second job with the same id, with a BROKER error", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("dup")]);
    await expect(b.enqueue(q, [job("dup")])).rejects.toMatchObject({ code: "BROKER" });
  });

  it("cancel stores a cancelled result and frees the idempotency key", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [
      job("c1", { idempotencyKey: "ck", resultTtlMs: 0 }),
      job("c2", { priority: 4 }),
    ]);
    expect(await b.cancel(q, "c1")).toBe(true);
    expect(await b.cancel(q, "c2")).toBe(true);
    expect(await b.getResult(q, "c2")).toMatchObject({ status: "cancelled" });
    expect(await b.enqueue(q, [job("c3", { idempotencyKey: "ck" })])).toEqual([
      { id: "c3", duplicate: false },
    ]);
    expect((await b.stats(q)).waiting).toBe(1);
  });
});

describe("dead letters, purge, locks, schedules", () => {
  it("keeps dead letters past the result ttl; requeue gives fresh attempts", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("x", { resultTtlMs: 50, maxAttempts: 2 })]);
    const [d] = await b.reserve(q, { max: 1, leaseMs: 1000 });
    await b.settle(q, [
      { kind: "dead", id: "x", token: d!.token, error: { name: "E", message: "bad" } },
    ]);
    expect((await b.getJob(q, "x"))?.state).toBe("failed");
    await sleep(100); // on purpose past the 50 ms result ttl: the dead letter must outlive it
    const [dead] = await b.listDead(q);
    expect(dead).toMatchObject({ id: "x", attempt: 1, maxAttempts: 2, error: { message: "bad" } });
    expect(await b.requeueDead(q)).toBe(1);
    const [again] = await b.reserve(q, { max: 1, leaseMs: 1000 });
    expect(again).toMatchObject({ id: "x", attempt: 1, maxAttempts: 2 });
  });

  it("purges a large queue in slices", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(
      q,
      Array.from({ length: 12_000 }, (_, i) =>
        job(`p${i}`, { idempotencyKey: i % 1000 === 0 ? `k${i}` : undefined }),
      ),
    );
    await b.enqueue(q, [job("later", { runAt: Date.now() + 60_000 })]);
    expect(await b.purge(q)).toBe(12_001);
    expect(await b.stats(q)).toMatchObject({ waiting: 0, delayed: 0 });
    expect(await admin.keys(`${b.keys.queue(q)}*`)).toEqual([]);
  });

  it("locks are owner-checked across broker instances", async () => {
    const a = pool.make();
    const b = pool.make();
    const name = uniqueQueue("lock");
    expect(await a.acquireLock(name, "a", 5_000)).toBe(true);
    expect(await b.acquireLock(name, "b", 5_000)).toBe(false);
    expect(await b.releaseLock(name, "b")).toBe(false);
    expect(await b.isLocked(name)).toBe(true);
    expect(await a.releaseLock(name, "a")).toBe(true);
    expect(await b.acquireLock(name, "b", 5_000)).toBe(true);
  });

  it("exactly one of many schedulers on separate connections claims a tick", async () => {
    const schedulers = Array.from({ length: 6 }, () => pool.make());
    const q = uniqueQueue();
    const id = `sched-${q}`;
    await schedulers[0]!.saveSchedule({
      id,
      queue: q,
      spec: '{"every":1000}',
      nextRunAt: 5_000,
      paused: false,
      updatedAt: 1,
    });
    for (let tick = 0; tick < 5; tick++) {
      const at = 5_000 + tick * 1000;
      const wins = await Promise.all(
        schedulers.map((s, i) => s.claimScheduleTick(id, at, at + 1000, [job(`t${tick}-${i}`)])),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    }
    expect((await schedulers[1]!.getSchedule(id))?.nextRunAt).toBe(10_000);
    expect((await schedulers[1]!.stats(q)).waiting).toBe(5);
    expect(await schedulers[0]!.claimScheduleTick(id, 10_000, null, [])).toBe(true);
    expect((await schedulers[0]!.getSchedule(id))?.nextRunAt).toBeNull();
    expect((await schedulers[2]!.listSchedules()).map((s) => s.id)).toContain(id);
  });
});

describe("layout and connections", () => {
  it("keeps every key of a queue in one cluster slot", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [
      job("a", { idempotencyKey: "k" }),
      job("b", { runAt: Date.now() + 60_000 }),
    ]);
    const [d] = await b.reserve(q, { max: 1, leaseMs: 10_000, consumer: "c" });
    await b.settle(q, [
      { kind: "dead", id: d!.id, token: d!.token, error: { name: "E", message: "m" } },
    ]);
    const keys = await admin.keys(`{platoon:${q}}*`);
    expect(keys.length).toBeGreaterThan(4);
    const slots = new Set(
      await Promise.all(keys.map((k) => admin.cluster("KEYSLOT", k).catch(() => null))),
    );
    // CLUSTER KEYSLOT works without cluster mode on Redis 7; one slot for every key.
    if (!slots.has(null)) expect(slots.size).toBe(1);
    for (const k of keys) expect(k.startsWith(`{platoon:${q}}:`)).toBe(true);
  });

  it("connects with a username and password from the URL", async () => {
    await admin.call("ACL", "SETUSER", "platoon-test", "on", ">s3cret", "~*", "&*", "+@all");
    const b = createRedisBroker({ url: `redis://platoon-test:s3cret@127.0.0.1:${server.port}` });
    const q = uniqueQueue();
    await b.enqueue(q, [job("auth")]);
    expect((await b.reserve(q, { max: 1, leaseMs: 1000 }))[0]?.id).toBe("auth");
    await b.close();
    const bad = createRedisBroker({
      url: `redis://platoon-test:wrong@127.0.0.1:${server.port}`,
      retryWindowMs: 200,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    await expect(bad.stats(q)).rejects.toMatchObject({ code: "BROKER" });
    await bad.close();
  });

  it("uses an injected ioredis client and leaves it open", async () => {
    const client = new Redis(server.port, "127.0.0.1");
    const b = createRedisBroker({ client });
    const q = uniqueQueue();
    await b.enqueue(q, [job("inj")]);
    const waiting = b.reserve(q, { max: 1, leaseMs: 1000, waitMs: 3_000 });
    expect((await waiting)[0]?.id).toBe("inj");
    await b.close();
    expect(await client.ping()).toBe("PONG");
    client.disconnect();
  });

  it("close ends a blocking reserve and pending waitResults", async () => {
    const b = createRedisBroker({ url: server.url });
    const q = uniqueQueue();
    const before = await blockedReserves();
    const reserving = b.reserve(q, { max: 1, leaseMs: 1000, waitMs: 600_000 });
    const waiting = b.waitResult(q, "never", 600_000);
    await waitForBlockedReserves(1, before);
    await waitFor(async () => (await subscribers(b.keys.doneChannel(q))) === 1, {
      timeoutMs: 20_000,
      what: "the waiter's subscription",
    });
    await b.close();
    // Both would wait 10 minutes unless close ends them; the 20 s bounds only prove that.
    expect(await within(reserving, 20_000, "reserve ended by close")).toEqual([]);
    expect(await within(waiting, 20_000, "waitResult ended by close")).toBeUndefined();
    await expect(b.stats(q)).rejects.toMatchObject({ code: "CLOSED" });
  }, 60_000);

  it("concurrent blocking reserves on one broker each wake", async () => {
    const b = pool.make();
    const producer = pool.make();
    const q = uniqueQueue();
    const before = await blockedReserves();
    const waits = Array.from({ length: 4 }, () =>
      b.reserve(q, { max: 1, leaseMs: 60_000, waitMs: 60_000 }),
    );
    await waitForBlockedReserves(4, before);
    await producer.enqueue(
      q,
      Array.from({ length: 4 }, (_, i) => job(`cw${i}`)),
    );
    // Unwoken, a reserve would sit out its 60 s wait; the 20 s bound proves each was woken.
    const got = (await within(Promise.all(waits), 20_000, "every blocked reserve woken"))
      .flat()
      .map((d) => d.id)
      .sort();
    expect(got).toEqual(["cw0", "cw1", "cw2", "cw3"]);
  }, 60_000);
});
