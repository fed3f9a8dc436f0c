import type {
  Broker,
  BrokerCapabilities,
  ControlHandler,
  DeadLetter,
  Delivery,
  EnqueueResult,
  JobInfo,
  JobResult,
  JobState,
  LeaseRef,
  ListOptions,
  NewJob,
  QueueStats,
  ReserveOptions,
  ScheduleRecord,
  Settlement,
  SettleResult,
  Unsubscribe,
  WorkerRecord,
} from "@platoon/core";
import type { RedisOptions } from "ioredis";
import {
  decodeDead,
  decodeDeliveries,
  decodeResult,
  isLeaseOf,
  jobHeader,
  NONCE_LENGTH,
  num,
  packJobs,
  packSettlements,
  type Reply,
  str,
  toBuffer,
  toBytes,
} from "./codec.ts";
import { connectUrl, duplicateFor, isCluster, type RedisClient } from "./connection.ts";
import { brokerError, closedError, isTransient } from "./errors.ts";
import { KeySpace } from "./keys.ts";
import { ResultWaiters } from "./result-waiters.ts";
import { installScripts, type ScriptName, type ScriptRunner } from "./scripts.ts";
import { Subscriptions } from "./subscriptions.ts";
import * as registry from "./worker-registry.ts";

export interface RedisBrokerOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` for TLS. Default redis://127.0.0.1:6379. */
  url?: string;
  /** An ioredis client (or Cluster) to use instead of a URL. It is not closed by close(). */
  client?: RedisClient;
  /** Extra ioredis options for the connection made from `url`. */
  redisOptions?: RedisOptions;
  /** Key prefix; every queue's keys live under `{<prefix>:<queue>}:`. Default "platoon". */
  prefix?: string;
  /** How long results are kept when a job does not say. Default 10 minutes. */
  defaultResultTtlMs?: number;
  /**
   * Hard cap on deliveries of a job without maxAttempts whose leases keep expiring (a job
   * that kills every worker). Default 25.
   */
  maxDeliveries?: number;
  /**
   * How long an operation keeps retrying through a lost connection (Redis restarting,
   * failing over) before it fails with a BROKER error. Default 60 s.
   */
  retryWindowMs?: number;
}

type Arg = string | number | Buffer;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const EMPTY_RESERVE: ReserveOptions = { max: 0, leaseMs: 0 };
/** Settlements per script call: bounded so one call never holds Redis for long. */
const SETTLE_CHUNK = 2_000;
const ENQUEUE_CHUNK = 2_000;
/** How long close() waits for QUIT's reply before it disconnects. */
const QUIT_GRACE_MS = 2_000;

/** 8 random base-36 characters: tells this broker's lease tokens from every other's. */
function randomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += (b % 36).toString(36);
  return out;
}

/**
 * The Broker contract on Redis (or a Redis Cluster): Lua scripts move jobs atomically,
 * one round trip per batch. See the package README for the data layout.
 */
export class RedisBroker implements Broker {
  readonly capabilities: BrokerCapabilities = { durable: true };
  readonly keys: KeySpace;
  readonly #client: RedisClient;
  readonly #ownsClient: boolean;
  readonly #run: ScriptRunner;
  readonly #defaultTtl: number;
  readonly #maxDeliveries: number;
  readonly #retryWindowMs: number;
  /** "1" on a Cluster, where subscribers may sit on other nodes than the queue's. */
  readonly #announceAlways: string;
  readonly #id = randomId();
  #nonce = 0;
  #waiterSeq = 0;
  readonly #subs: Subscriptions;
  readonly #waiters: ResultWaiters;
  /** Idle connections for blocking waits; one per concurrent waiting reserve. */
  readonly #idleBlocking: RedisClient[] = [];
  readonly #allBlocking = new Set<RedisClient>();
  readonly #closers = new Set<() => void>();
  #closed = false;

  constructor(options: RedisBrokerOptions = {}) {
    if (options.client) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      this.#client = connectUrl(options.url ?? "redis://127.0.0.1:6379", options.redisOptions);
      this.#ownsClient = true;
      this.#client.on("error", () => {
        // Reconnection is ioredis' job; failed commands surface through their promises.
      });
    }
    this.keys = new KeySpace(options.prefix ?? "platoon");
    this.#defaultTtl = options.defaultResultTtlMs ?? 10 * 60_000;
    this.#maxDeliveries = options.maxDeliveries ?? 25;
    this.#retryWindowMs = options.retryWindowMs ?? 60_000;
    this.#run = installScripts(this.#client);
    this.#announceAlways = isCluster(this.#client) ? "1" : "0";
    this.#subs = new Subscriptions(() => duplicateFor(this.#client, `platoon-sub-${this.#id}`));
    this.#waiters = new ResultWaiters(
      this.#subs,
      (queue) => this.keys.doneChannel(queue),
      (queue, ids) => this.#getResults(queue, ids),
    );
  }

  /** The command connection, for tools and tests. */
  get client(): RedisClient {
    return this.#client;
  }

  async enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]> {
    this.#open();
    // Chunks go out together: one connection keeps their order, and the round trips overlap.
    const chunks: Promise<EnqueueResult[]>[] = [];
    for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK)
      chunks.push(this.#enqueueChunk(queue, jobs.slice(i, i + ENQUEUE_CHUNK)));
    const results = await Promise.all(chunks);
    return results.length === 1 ? results[0]! : results.flat();
  }

  async #enqueueChunk(queue: string, chunk: NewJob[]): Promise<EnqueueResult[]> {
    for (const job of chunk) {
      if (job.priority !== undefined && !Number.isFinite(job.priority))
        throw brokerError(`job ${job.id}: priority must be a finite number, got ${job.priority}`);
    }
    const args: Arg[] = [chunk.length, packJobs(chunk, Date.now())];
    let retried = false;
    const reply = (await this.#retry("enqueue", async (attempt) => {
      retried = attempt > 1;
      return this.#run("platoonEnqueue", this.keys.queue(queue), args);
    })) as number | (string | number)[];
    if (typeof reply === "number") {
      // Every job was new.
      const out: EnqueueResult[] = new Array(chunk.length);
      for (let i = 0; i < chunk.length; i++) out[i] = { id: chunk[i]!.id, duplicate: false };
      return out;
    }
    const out: EnqueueResult[] = new Array(reply.length / 2);
    for (let j = 0; j < reply.length; j += 2) {
      const id = String(reply[j]);
      const code = Number(reply[j + 1]);
      // After a retry, "id taken" is most likely our own first try having landed.
      if (code === 2 && !retried)
        throw brokerError(`a job with id ${id} is already in queue ${queue}: ids must be unique`);
      out[j / 2] = { id, duplicate: code === 1 };
    }
    return out;
  }

  async reserve(queue: string, options: ReserveOptions): Promise<Delivery[]> {
    this.#open();
    const waitMs = options.waitMs ?? 0;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { deliveries, nextWake, redisNow } = await this.#cycle(queue, [], options);
      if (deliveries.length > 0 || waitMs <= 0 || this.#closed || options.signal?.aborted)
        return deliveries;
      const now = Date.now();
      if (now >= deadline) return deliveries;
      // Sleep until woken by an enqueue, or until a delayed job or a lease comes due (by
      // Redis' clock, which the scripts go by).
      let wait = deadline - now;
      if (nextWake !== undefined) wait = Math.min(wait, Math.max(5, nextWake - redisNow + 2));
      await this.#waitForWork(queue, wait, options.signal);
      if (this.#closed) return [];
    }
  }

  async settle(queue: string, settlements: Settlement[]): Promise<SettleResult[]> {
    this.#open();
    const out: SettleResult[] = [];
    for (let i = 0; i < settlements.length; i += SETTLE_CHUNK) {
      const { settled } = await this.#cycle(
        queue,
        settlements.slice(i, i + SETTLE_CHUNK),
        EMPTY_RESERVE,
      );
      for (const s of settled) out.push(s);
    }
    return out;
  }

  /**
   * Settles and reserves the next jobs in one round trip: the busy worker's fast path.
   * Never waits; use reserve() with waitMs when it returns no deliveries.
   */
  async settleAndReserve(
    queue: string,
    settlements: Settlement[],
    reserve: ReserveOptions,
  ): Promise<{ settled: SettleResult[]; deliveries: Delivery[] }> {
    this.#open();
    if (settlements.length > SETTLE_CHUNK) {
      const settled = await this.settle(queue, settlements.slice(0, -SETTLE_CHUNK));
      const last = await this.#cycle(queue, settlements.slice(-SETTLE_CHUNK), reserve);
      return { settled: [...settled, ...last.settled], deliveries: last.deliveries };
    }
    const { settled, deliveries } = await this.#cycle(queue, settlements, reserve);
    return { settled, deliveries };
  }

  async extend(queue: string, leases: LeaseRef[], leaseMs: number): Promise<boolean[]> {
    this.#open();
    const out: boolean[] = [];
    for (let i = 0; i < leases.length; i += SETTLE_CHUNK) {
      const args: Arg[] = [Math.max(1, Math.floor(leaseMs))];
      for (const l of leases.slice(i, i + SETTLE_CHUNK))
        args.push(isLeaseOf(l.id, l.token) ? l.token : "");
      const reply = (await this.#retry("extend", () =>
        this.#run("platoonExtend", this.keys.queue(queue), args),
      )) as [number, number[]];
      for (const c of reply[1]) out.push(c === 1);
    }
    return out;
  }

  async getResult(queue: string, id: string): Promise<JobResult | undefined> {
    this.#open();
    const packed = await this.#retry("getResult", () =>
      this.#client.getBuffer(this.keys.result(queue, id)),
    );
    return decodeResult(packed);
  }

  /** Without polling: see ResultWaiters. */
  async waitResult(queue: string, id: string, timeoutMs: number): Promise<JobResult | undefined> {
    this.#open();
    if (!(timeoutMs > 0)) return this.getResult(queue, id);
    try {
      return await this.#waiters.wait(queue, id, timeoutMs);
    } catch (error) {
      throw brokerError("waitResult failed", error);
    }
  }

  async getJob(queue: string, id: string): Promise<JobInfo | undefined> {
    this.#open();
    const r = (await this.#retry("getJob", () =>
      this.#run("platoonGetJob", this.keys.queue(queue), [id], true),
    )) as Buffer[];
    if (r.length === 0) return undefined;
    if (str(r[0]) === "r") {
      const result = decodeResult(r[1]!)!;
      return {
        id,
        queue,
        task: "",
        state: result.status,
        attempt: 0,
        priority: 0,
        runAt: result.settledAt,
        createdAt: result.settledAt,
      };
    }
    const h = jobHeader(r[1]!);
    const s = str(r[2]);
    const state: JobState =
      s === "a" ? "active" : s === "d" ? "delayed" : s === "x" ? "failed" : "waiting";
    const runAt = str(r[4]);
    const info: JobInfo = {
      id,
      queue,
      task: h.t,
      state,
      attempt: num(r[3]),
      priority: h.p === undefined ? 0 : Number(h.p),
      runAt: runAt === "" ? h.c : Number(runAt),
      createdAt: h.c,
    };
    if (h.m !== undefined) info.maxAttempts = h.m;
    if (h.tr !== undefined) info.traceId = h.tr;
    return info;
  }

  async cancel(queue: string, id: string): Promise<boolean> {
    this.#open();
    const r = await this.#retry("cancel", () =>
      this.#run("platoonCancel", this.keys.queue(queue), [id, this.#defaultTtl]),
    );
    return r === 1;
  }

  async stats(queue: string): Promise<QueueStats> {
    this.#open();
    const [waiting, delayed, active, dead, results] = (await this.#retry("stats", () =>
      this.#run("platoonStats", this.keys.queue(queue), []),
    )) as number[];
    return {
      queue,
      waiting: waiting!,
      delayed: delayed!,
      active: active!,
      dead: dead!,
      results: results!,
    };
  }

  async purge(queue: string): Promise<number> {
    this.#open();
    let total = 0;
    for (;;) {
      const [removed, more] = (await this.#retry("purge", () =>
        this.#run("platoonPurge", this.keys.queue(queue), [5_000]),
      )) as [number, number];
      total += removed;
      if (more === 0 || removed === 0) return total;
    }
  }

  async listDead(queue: string, options: ListOptions = {}): Promise<DeadLetter[]> {
    this.#open();
    const offset = Math.max(0, options.offset ?? 0);
    const limit = Math.max(0, options.limit ?? 100);
    if (limit === 0) return [];
    const flat = (await this.#retry("listDead", () =>
      this.#run("platoonListDead", this.keys.queue(queue), [offset, limit], true),
    )) as Reply[];
    return decodeDead(queue, flat);
  }

  async requeueDead(queue: string, ids?: string[]): Promise<number> {
    this.#open();
    if (ids && ids.length === 0) return 0;
    return (await this.#retry("requeueDead", () =>
      this.#run("platoonRequeueDead", this.keys.queue(queue), ids ?? []),
    )) as number;
  }

  async deleteDead(queue: string, ids?: string[]): Promise<number> {
    this.#open();
    if (ids && ids.length === 0) return 0;
    return (await this.#retry("deleteDead", () =>
      this.#run("platoonDeleteDead", this.keys.queue(queue), ids ?? []),
    )) as number;
  }

  async acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#open();
    const key = this.keys.lock(name);
    const ttl = Math.max(1, Math.floor(ttlMs));
    const r = await this.#retry("acquireLock", async () => {
      const set = await this.#client.set(key, owner, "PX", ttl, "NX");
      if (set === "OK") return true;
      // Re-acquiring a lock we already hold refreshes it, as in the memory broker.
      return (await this.#run("platoonExtendLock", key, [owner, ttl])) === 1;
    });
    return r;
  }

  async releaseLock(name: string, owner: string): Promise<boolean> {
    this.#open();
    const r = await this.#retry("releaseLock", () =>
      this.#run("platoonReleaseLock", this.keys.lock(name), [owner]),
    );
    return r === 1;
  }

  async extendLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#open();
    const r = await this.#retry("extendLock", () =>
      this.#run("platoonExtendLock", this.keys.lock(name), [owner, Math.max(1, Math.floor(ttlMs))]),
    );
    return r === 1;
  }

  async isLocked(name: string): Promise<boolean> {
    this.#open();
    return (await this.#retry("isLocked", () => this.#client.exists(this.keys.lock(name)))) === 1;
  }

  async saveSchedule(record: ScheduleRecord): Promise<void> {
    this.#open();
    const index = this.keys.scheduleIndex();
    await this.#retry("saveSchedule", async () => {
      const previous = await this.#client.hget(index, record.id);
      if (previous !== null && previous !== record.queue) {
        await this.#client.del(this.keys.schedule(previous, record.id));
        await this.#client.srem(this.keys.scheduleSet(previous), record.id);
      }
      await this.#client.hset(index, record.id, record.queue);
      await this.#client.hset(this.keys.schedule(record.queue, record.id), {
        spec: record.spec,
        next: record.nextRunAt === null ? "" : String(record.nextRunAt),
        paused: record.paused ? "1" : "0",
        updated: String(record.updatedAt),
      });
      await this.#client.sadd(this.keys.scheduleSet(record.queue), record.id);
    });
  }

  async listSchedules(queue?: string): Promise<ScheduleRecord[]> {
    this.#open();
    return this.#retry("listSchedules", async () => {
      let pairs: [string, string][];
      if (queue !== undefined) {
        const ids = await this.#client.smembers(this.keys.scheduleSet(queue));
        pairs = ids.map((id) => [id, queue]);
      } else {
        const all = await this.#client.hgetall(this.keys.scheduleIndex());
        pairs = Object.entries(all);
      }
      const records = await Promise.all(pairs.map(([id, q]) => this.#readSchedule(q, id)));
      return records
        .filter((r): r is ScheduleRecord => r !== undefined)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    this.#open();
    return this.#retry("getSchedule", async () => {
      const queue = await this.#client.hget(this.keys.scheduleIndex(), id);
      return queue === null ? undefined : this.#readSchedule(queue, id);
    });
  }

  async deleteSchedule(id: string): Promise<boolean> {
    this.#open();
    return this.#retry("deleteSchedule", async () => {
      const queue = await this.#client.hget(this.keys.scheduleIndex(), id);
      if (queue === null) return false;
      await this.#client.del(this.keys.schedule(queue, id));
      await this.#client.srem(this.keys.scheduleSet(queue), id);
      return (await this.#client.hdel(this.keys.scheduleIndex(), id)) === 1;
    });
  }

  async claimScheduleTick(
    id: string,
    expectedRunAt: number,
    nextRunAt: number | null,
    jobs: NewJob[],
  ): Promise<boolean> {
    this.#open();
    const queue = await this.#retry("claimScheduleTick", () =>
      this.#client.hget(this.keys.scheduleIndex(), id),
    );
    if (queue === null) return false;
    const args: Arg[] = [
      id,
      String(expectedRunAt),
      nextRunAt === null ? "" : String(nextRunAt),
      jobs.length,
      jobs.length === 0 ? "" : packJobs(jobs, Date.now()),
    ];
    const r = await this.#retry("claimScheduleTick", () =>
      this.#run("platoonClaimTick", this.keys.queue(queue), args),
    );
    return r === 1;
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    this.#open();
    await this.#retry("publish", () =>
      this.#client.publish(this.keys.control(channel), toBuffer(message)),
    );
  }

  async subscribe(channel: string, handler: ControlHandler): Promise<Unsubscribe> {
    this.#open();
    try {
      return await this.#subs.add(this.keys.control(channel), (m) => handler(toBytes(m)));
    } catch (error) {
      throw brokerError(`could not subscribe to ${channel}`, error);
    }
  }

  /** Worker registry (see worker-registry.ts): one hash, times by Redis' clock. */
  async heartbeatWorker(record: WorkerRecord, ttlMs: number): Promise<void> {
    this.#open();
    await this.#retry("heartbeatWorker", () =>
      registry.heartbeatWorker(this.#client, this.keys, record, ttlMs),
    );
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    this.#open();
    return this.#retry("listWorkers", () => registry.listWorkers(this.#client, this.keys));
  }

  async forgetWorker(id: string): Promise<boolean> {
    this.#open();
    return this.#retry("forgetWorker", () => registry.forgetWorker(this.#client, this.keys, id));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const close of [...this.#closers]) close();
    this.#waiters.closeAll();
    for (const conn of this.#allBlocking) conn.disconnect();
    this.#allBlocking.clear();
    this.#idleBlocking.length = 0;
    await this.#subs.close();
    if (this.#ownsClient) {
      const client = this.#client as RedisClient & { status?: string; quit(): Promise<unknown> };
      // QUIT lets the replies in flight arrive; to a Redis that is not there it would wait
      // in the offline queue through the reconnect attempts, so then just disconnect.
      if (client.status === "ready") {
        const quit = client.quit().catch(() => {});
        await Promise.race([quit, sleep(QUIT_GRACE_MS)]);
      }
      client.disconnect();
    }
  }

  /** Results of one queue's jobs in one round trip (one slot, so MGET is fine on a Cluster). */
  async #getResults(queue: string, ids: string[]): Promise<(JobResult | undefined)[]> {
    const packed = await this.#retry("getResult", () =>
      this.#client.mgetBuffer(...ids.map((id) => this.keys.result(queue, id))),
    );
    return packed.map((p) => decodeResult(p));
  }

  async #readSchedule(queue: string, id: string): Promise<ScheduleRecord | undefined> {
    const [spec, next, paused, updated] = await this.#client.hmget(
      this.keys.schedule(queue, id),
      "spec",
      "next",
      "paused",
      "updated",
    );
    if (spec === null || spec === undefined) return undefined;
    return {
      id,
      queue,
      spec,
      nextRunAt: next ? Number(next) : null,
      paused: paused === "1",
      updatedAt: Number(updated ?? 0),
    };
  }

  async #cycle(
    queue: string,
    settlements: Settlement[],
    options: ReserveOptions,
  ): Promise<{
    settled: SettleResult[];
    deliveries: Delivery[];
    nextWake: number | undefined;
    redisNow: number;
  }> {
    const max = Math.max(0, Math.floor(options.max));
    const nonce = this.#nextNonce();
    const { completions, others, order } = packSettlements(settlements);
    const args: Arg[] = [
      max,
      Math.max(1, Math.floor(options.leaseMs)),
      nonce,
      this.#maxDeliveries,
      this.#defaultTtl,
      this.#announceAlways,
      completions,
      others.length / 5,
    ];
    for (const a of others) args.push(a);
    const reply = (await this.#retry("reserve/settle", () =>
      this.#run("platoonCycle", this.keys.queue(queue), args, true),
    )) as [number, number, number | number[], Buffer, Reply[], Buffer];
    const [redisNow, deadline, codes, packed, extras, wake] = reply;
    const settled: SettleResult[] = new Array(order.length);
    if (typeof codes === "number") {
      // All accepted: the script sends just the count.
      for (let i = 0; i < settlements.length; i++)
        settled[i] = { id: settlements[i]!.id, ok: true };
    } else {
      for (let k = 0; k < codes.length; k++) {
        const i = order[k]!;
        const id = settlements[i]!.id;
        const c = codes[k];
        settled[i] =
          c === 1
            ? { id, ok: true }
            : { id, ok: false, reason: c === 0 ? "stale-lease" : "unknown-job" };
      }
    }
    const w = str(wake);
    return {
      settled,
      deliveries:
        packed.length > 0
          ? decodeDeliveries(queue, packed, extras, num(deadline), this.#defaultTtl, nonce)
          : [],
      nextWake: w === "" ? undefined : Number(w),
      redisNow: num(redisNow),
    };
  }

  /**
   * Blocks on the queue's marker (BZPOPMIN) on a connection of its own, beside a private
   * wake key that an abort pushes to. Returns early on any error: the caller re-checks.
   */
  async #waitForWork(queue: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted || this.#closed) return;
    const conn = this.#idleBlocking.pop() ?? this.#newBlocking();
    const wakeKey = this.keys.wake(queue, `${this.#id}:${++this.#waiterSeq}`);
    let aborted = false;
    let onAbort: (() => void) | undefined;
    const abortedPromise = new Promise<void>((resolve) => {
      onAbort = () => {
        aborted = true;
        resolve();
        this.#client.zadd(wakeKey, 0, "0").catch(() => {});
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#closers.add(onAbort);
    });
    const blocking = (async () => {
      try {
        await (conn as { bzpopmin(...args: Arg[]): Promise<unknown> }).bzpopmin(
          this.keys.marker(queue),
          wakeKey,
          (Math.max(10, ms) / 1000).toFixed(3),
        );
        return true;
      } catch {
        return false;
      }
    })();
    const released = blocking.then((ok) => {
      if (aborted) this.#client.del(wakeKey).catch(() => {});
      if (ok && !this.#closed) this.#idleBlocking.push(conn);
      else {
        this.#allBlocking.delete(conn);
        conn.disconnect();
      }
      return ok;
    });
    const ok = await Promise.race([released, abortedPromise.then(() => true)]);
    if (onAbort) {
      signal?.removeEventListener("abort", onAbort);
      this.#closers.delete(onAbort);
    }
    // A failed wait (connection lost) must not turn the caller's loop into a busy spin.
    if (!ok && !this.#closed) await sleep(Math.min(100, ms));
  }

  #newBlocking(): RedisClient {
    const conn = duplicateFor(this.#client, `platoon-block-${this.#id}`);
    conn.on("error", () => {});
    this.#allBlocking.add(conn);
    return conn;
  }

  async #retry<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (error) {
        if (this.#closed) throw closedError();
        if (!isTransient(error) || Date.now() - started > this.#retryWindowMs)
          throw brokerError(`${what} failed`, error);
        await sleep(Math.min(25 * attempt, 500));
      }
    }
  }

  /** NONCE_LENGTH characters: this broker's random id, then a call counter. */
  #nextNonce(): string {
    const n = (++this.#nonce).toString(36);
    return `${this.#id}${n.padStart(NONCE_LENGTH - this.#id.length, "0")}`.slice(-NONCE_LENGTH);
  }

  #open(): void {
    if (this.#closed) throw closedError();
  }
}

export type { ScriptName };
