// How batches travel: packed arguments and replies (Redis' cmsgpack), completions grouped
// by lease nonce, results that a job keeps none of left unsent, enqueue's one-HSET fast path.
import { RedisServer } from "@platoon/testkit/redis-server";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Packer, packedRanges } from "../src/pack.ts";
import { brokers, dec, enc, job, sleep, uniqueQueue } from "./helpers.ts";

let server: RedisServer;
let admin: Redis;
const pool = brokers(() => server);

beforeAll(async () => {
  server = await RedisServer.start();
  admin = new Redis(server.port, "127.0.0.1");
});
afterAll(async () => {
  await pool.closeAll();
  admin?.disconnect();
  await server?.stop();
});

const texts = (buf: Buffer) => {
  const r = packedRanges(buf);
  const out: string[] = [];
  for (let i = 0; i < r.length; i += 2) out.push(buf.toString("utf8", r[i], r[i + 1]));
  return out;
};

describe("packed batches", () => {
  it("round-trips strings of every msgpack length class through Redis' cmsgpack", async () => {
    const values = [
      "",
      "a",
      "x".repeat(31),
      "y".repeat(32),
      "z".repeat(255),
      "w".repeat(256),
      "v".repeat(65_535),
      "u".repeat(65_536),
      "ü-ascii-mix",
      "日本語のid",
      "😀".repeat(20),
      "bar|and\nnewline",
    ];
    const p = new Packer(16);
    for (const v of values) p.str(v);
    p.bytes(new Uint8Array([0, 255, 10, 13, 124]));
    const packed = p.finish();
    expect(texts(packed).slice(0, values.length)).toEqual(values);
    // What Lua reads is what we wrote, and what it packs we read back.
    const again = (await admin.callBuffer(
      "EVAL",
      "return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))",
      0,
      packed,
    )) as Buffer;
    expect(texts(again).slice(0, values.length)).toEqual(values);
    const r = packedRanges(again);
    expect([...again.subarray(r[2 * values.length], r[2 * values.length + 1])]).toEqual([
      0, 255, 10, 13, 124,
    ]);
    const count = await admin.eval("return #cmsgpack.unpack(ARGV[1])", 0, packed);
    expect(count).toBe(values.length + 1);
  });

  it("integers arrive in Lua as numbers", async () => {
    const p = new Packer();
    for (const n of [0, 1, 127, 128, 65_535, 65_536, 2 ** 32 - 1]) p.int(n);
    const sum = await admin.eval(
      "local t = cmsgpack.unpack(ARGV[1]) local s = 0 for _, v in ipairs(t) do s = s + v end return tostring(s)",
      0,
      p.finish(),
    );
    expect(Number(sum)).toBe(0 + 1 + 127 + 128 + 65_535 + 65_536 + 2 ** 32 - 1);
  });
});

describe("reserving in batches", () => {
  it("each delivery of a batch gets its own header, whatever the one before it had", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    // h1's stored string is 266 bytes: its msgpack length (str16) ends in a newline byte.
    const jobs = [
      { ...job("h1", { createdAt: 1_700_000_000_000 }), payload: bytes(238, 10) },
      { ...job("h2"), payload: bytes(3, 10) },
      { ...job("h3", { task: "other", maxAttempts: 2 }), payload: bytes(300, 10) },
      { ...job("h4", { task: "other", maxAttempts: 2 }), payload: bytes(229, 7) },
      { ...job("h5", { resultTtlMs: 0, timeoutMs: 5 }), payload: new Uint8Array() },
      { ...job("h6"), payload: bytes(1, 10) },
    ];
    await b.enqueue(q, jobs);
    const ds = await b.reserve(q, { max: 10, leaseMs: 10_000 });
    expect(ds.map((d) => [d.id, d.task, d.maxAttempts, d.resultTtlMs, d.timeoutMs])).toEqual([
      ["h1", "t", undefined, undefined, undefined],
      ["h2", "t", undefined, undefined, undefined],
      ["h3", "other", 2, undefined, undefined],
      ["h4", "other", 2, undefined, undefined],
      ["h5", "t", undefined, 0, 5],
      ["h6", "t", undefined, undefined, undefined],
    ]);
    for (let i = 0; i < jobs.length; i++)
      expect([...ds[i]!.payload]).toEqual([...jobs[i]!.payload]);
  });
});

describe("results nobody reads", () => {
  it("marks deliveries whose result is kept nowhere, so the worker skips encoding it", async () => {
    const q = uniqueQueue();
    const b = pool.make();
    await b.enqueue(q, [
      job("kept"),
      job("none", { resultTtlMs: 0 }),
      job("own", { resultTtlMs: 5 }),
    ]);
    const ds = await b.reserve(q, { max: 10, leaseMs: 10_000 });
    expect(ds.map((d) => [d.id, d.discardResult])).toEqual([
      ["kept", undefined],
      ["none", true],
      ["own", undefined],
    ]);
    // A broker whose default keeps no result marks every job without a ttl of its own.
    const q2 = uniqueQueue();
    const none = pool.make({ defaultResultTtlMs: 0 });
    await none.enqueue(q2, [job("default"), job("own", { resultTtlMs: 5 })]);
    const ds2 = await none.reserve(q2, { max: 10, leaseMs: 10_000 });
    expect(ds2.map((d) => [d.id, d.discardResult])).toEqual([
      ["default", true],
      ["own", undefined],
    ]);
  });
});

describe("lease batches", () => {
  it("a batch keeps its lease for the jobs not yet settled, and leaves no key once all are", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const P = b.keys.queue(q);
    await b.enqueue(q, [job("x1"), job("x2"), job("x3"), job("y1")]);
    const xs = await b.reserve(q, { max: 3, leaseMs: 10_000 });
    const [y] = await b.reserve(q, { max: 1, leaseMs: 10_000 });
    const nonce = xs[0]!.token.slice(0, 16);
    expect(xs.every((d) => d.token.startsWith(nonce))).toBe(true);
    expect(y!.token.startsWith(nonce)).toBe(false);
    expect(await b.stats(q)).toMatchObject({ active: 4 });
    // Settling part of a batch leaves the rest leased, in the batch's set.
    await b.settle(q, [
      { kind: "complete", id: "x1", token: xs[0]!.token, result: enc.encode("1") },
      {
        kind: "retry",
        id: "x2",
        token: xs[1]!.token,
        runAt: 0,
        error: { name: "E", message: "m" },
      },
    ]);
    expect(await admin.smembers(`${P}L:${nonce}`)).toEqual(["x3"]);
    expect(await admin.zscore(`${P}active`, nonce)).not.toBeNull();
    expect(await b.stats(q)).toMatchObject({ active: 2, waiting: 1 });
    // A settled job's token is refused afterwards; the batch's last job ends it.
    const again = await b.settle(q, [
      { kind: "complete", id: "x1", token: xs[0]!.token, result: enc.encode("1") },
      { kind: "complete", id: "x3", token: xs[2]!.token, result: enc.encode("3") },
    ]);
    expect(again.map((r) => r.ok)).toEqual([false, true]);
    expect(await admin.exists(`${P}L:${nonce}`)).toBe(0);
    expect(await admin.zscore(`${P}active`, nonce)).toBeNull();
    expect(await admin.zcard(`${P}active`)).toBe(1);
  });

  it("an expired batch goes back whole, minus what was settled; its tokens are then refused", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [job("e1"), job("e2"), job("e3")]);
    const first = await b.reserve(q, { max: 3, leaseMs: 10_000 });
    await b.settle(q, [
      { kind: "complete", id: "e1", token: first[0]!.token, result: enc.encode("") },
    ]);
    // Extending one job of a batch moves the whole batch's deadline (here: closer).
    const [held, gone] = await b.extend(
      q,
      [
        { id: "e2", token: first[1]!.token },
        { id: "e1", token: first[0]!.token },
      ],
      40,
    );
    expect([held, gone]).toEqual([true, false]);
    await sleep(80); // scenario time: the batch's lease must run out
    const back = await b.reserve(q, { max: 10, leaseMs: 10_000 });
    expect(back.map((d) => [d.id, d.attempt]).sort()).toEqual([
      ["e2", 2],
      ["e3", 2],
    ]);
    const stale = await b.settle(q, [
      { kind: "complete", id: "e2", token: first[1]!.token, result: enc.encode("") },
    ]);
    expect(stale).toEqual([{ id: "e2", ok: false, reason: "stale-lease" }]);
    expect(await b.extend(q, [{ id: "e3", token: first[2]!.token }], 1000)).toEqual([false]);
  });
});

describe("leases", () => {
  it("getJob finds a running job by its lease, whatever characters its id has", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    const ids = ["a*x", "q?", "[br]", "back\\slash", "ab", "b", "héllo"];
    await b.enqueue(
      q,
      ids.map((id) => job(id)),
    );
    const leased = await b.reserve(q, { max: 5, leaseMs: 10_000 });
    expect(leased.map((d) => d.id)).toEqual(ids.slice(0, 5));
    for (const id of ids.slice(0, 5)) expect((await b.getJob(q, id))?.state).toBe("active");
    // "b" is waiting though "ab" (which ends in b) is leased; so is "héllo".
    expect(await b.getJob(q, "b")).toMatchObject({ state: "waiting", attempt: 0 });
    expect((await b.getJob(q, "héllo"))?.state).toBe("waiting");
    expect(await b.cancel(q, "ab")).toBe(false);
    expect(await b.cancel(q, "b")).toBe(true);
    // Retried, then delivered again: attempt 2 while running, 1 delivery so far when waiting.
    await b.settle(q, [
      {
        kind: "retry",
        id: "a*x",
        token: leased[0]!.token,
        runAt: 0,
        error: { name: "E", message: "m" },
      },
    ]);
    expect(await b.getJob(q, "a*x")).toMatchObject({ state: "waiting", attempt: 1 });
    const rest = await b.reserve(q, { max: 10, leaseMs: 10_000 });
    expect(rest.map((d) => d.id)).toEqual(["héllo", "a*x"]);
    const again = rest[1];
    expect(again).toMatchObject({ id: "a*x", attempt: 2 });
    expect(await b.getJob(q, "a*x")).toMatchObject({ state: "active", attempt: 2 });
    // The old token is refused; the new one completes it, and it leaves no trace.
    const settled = await b.settle(q, [
      { kind: "complete", id: "a*x", token: leased[0]!.token, result: enc.encode("x") },
      { kind: "complete", id: "a*x", token: again!.token, result: enc.encode("x") },
    ]);
    expect(settled.map((r) => r.ok)).toEqual([false, true]);
    expect(await admin.hexists(`${b.keys.queue(q)}att`, "a*x")).toBe(0);
  });
});

describe("settling in batches", () => {
  it("settles the jobs of several reserve calls in one call and answers in order", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [
      job("a1"),
      job("a2"),
      job("a3", { resultTtlMs: 0 }),
      job("b1"),
      job("b2"),
      job("b3", { resultTtlMs: 0 }),
    ]);
    const first = await b.reserve(q, { max: 3, leaseMs: 10_000 });
    const second = await b.reserve(q, { max: 3, leaseMs: 10_000 });
    const [a1, a2, a3] = first;
    const [b1, b2, b3] = second;
    expect(first[0]!.token.slice(0, 16)).not.toBe(second[0]!.token.slice(0, 16));
    const result = enc.encode("value");
    const settled = await b.settle(q, [
      { kind: "complete", id: b1!.id, token: b1!.token, result },
      { kind: "complete", id: a1!.id, token: a1!.token, result },
      { kind: "retry", id: a2!.id, token: a2!.token, runAt: 0, error: { name: "E", message: "m" } },
      // b2 with a1's lease nonce: refused, its own lease stands
      { kind: "complete", id: b2!.id, token: a1!.token, result },
      { kind: "complete", id: a3!.id, token: a3!.token, result },
      { kind: "complete", id: "nobody", token: b3!.token, result },
      { kind: "complete", id: b3!.id, token: b3!.token, result },
    ]);
    expect(settled).toEqual([
      { id: "b1", ok: true },
      { id: "a1", ok: true },
      { id: "a2", ok: true },
      { id: "b2", ok: false, reason: "stale-lease" },
      { id: "a3", ok: true },
      { id: "nobody", ok: false, reason: "unknown-job" },
      { id: "b3", ok: true },
    ]);
    const kept = await b.getResult(q, "a1");
    expect(kept?.status === "completed" && dec.decode(kept.value)).toBe("value");
    // Jobs that keep no result: nothing stored, and the token says so (no bytes sent).
    expect(a3!.token.charAt(16)).toBe("~");
    expect(a1!.token.charAt(16)).toBe(".");
    expect(await b.getResult(q, "a3")).toBeUndefined();
    expect(await b.getResult(q, "b3")).toBeUndefined();
    expect(await b.getJob(q, "b2")).toMatchObject({ state: "active" });
    expect(await b.stats(q)).toMatchObject({ waiting: 1, active: 1 });
  });

  it("a settle of only accepted completions reports each one", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(
      q,
      Array.from({ length: 2_500 }, (_, i) => job(`j${i}`)),
    );
    const ds = await b.reserve(q, { max: 2_500, leaseMs: 10_000 });
    const settled = await b.settle(
      q,
      ds.map((d) => ({
        kind: "complete" as const,
        id: d.id,
        token: d.token,
        result: enc.encode(d.id),
      })),
    );
    expect(settled).toHaveLength(2_500);
    expect(settled.every((s, i) => s.ok && s.id === `j${i}`)).toBe(true);
    const r = await b.getResult(q, "j2499");
    expect(r?.status === "completed" && dec.decode(r.value)).toBe("j2499");
    expect(await b.stats(q)).toMatchObject({ waiting: 0, active: 0 });
  });
});

describe("enqueueing in batches", () => {
  it("a taken id in a later slice refuses that job only; the rest of the batch is enqueued", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await b.enqueue(q, [{ ...job("taken"), payload: enc.encode("original") }]);
    const jobs = Array.from({ length: 1_500 }, (_, i) => job(`n${i}`));
    jobs[1_200] = { ...job("taken"), payload: enc.encode("impostor") };
    await expect(b.enqueue(q, jobs)).rejects.toMatchObject({ code: "BROKER" });
    expect((await b.stats(q)).waiting).toBe(1 + 1_499);
    const [first] = await b.reserve(q, { max: 1, leaseMs: 10_000 });
    expect(first!.id).toBe("taken");
    expect(dec.decode(first!.payload)).toBe("original");
  });

  it("an id twice in one batch: the first is enqueued, the second refused", async () => {
    const b = pool.make();
    const q = uniqueQueue();
    await expect(
      b.enqueue(q, [
        job("x1"),
        { ...job("twice"), payload: enc.encode("first") },
        job("x2"),
        { ...job("twice"), payload: enc.encode("second") },
      ]),
    ).rejects.toMatchObject({ code: "BROKER" });
    const ds = await b.reserve(q, { max: 10, leaseMs: 10_000 });
    expect(ds.map((d) => d.id)).toEqual(["x1", "twice", "x2"]);
    expect(dec.decode(ds[1]!.payload)).toBe("first");
  });
});
