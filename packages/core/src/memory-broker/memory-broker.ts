import type {
  Broker,
  BrokerCapabilities,
  ControlHandler,
  DeadLetter,
  Delivery,
  EnqueueResult,
  JobInfo,
  JobResult,
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
} from "../contracts/broker.ts";
import type { ErrorInfo } from "../contracts/error-info.ts";
import { PlatoonError } from "../errors.ts";
import { randomToken } from "../util/ids.ts";
import { type KeptResult, QueueState } from "./queue-state.ts";
import type { StoredJob } from "./stored-job.ts";

export interface MemoryBrokerOptions {
  /** The clock, injectable for tests. Default Date.now. */
  now?: () => number;
  /** How long results are kept when a job does not say. Default 10 minutes. */
  defaultResultTtlMs?: number;
  /** Hard cap on deliveries of a job without maxAttempts whose leases keep expiring. */
  maxDeliveries?: number;
}

/**
 * The whole broker contract in one process's memory: the pool's engine and the reference
 * semantics for other brokers. Nothing survives the process. Payloads are kept by
 * reference, not copied: producers must not mutate bytes after enqueue.
 */
export class MemoryBroker implements Broker {
  readonly capabilities: BrokerCapabilities = { durable: false };
  readonly #now: () => number;
  readonly #defaultResultTtlMs: number;
  readonly #maxDeliveries: number;
  readonly #queues = new Map<string, QueueState>();
  readonly #locks = new Map<string, { owner: string; expiresAt: number }>();
  readonly #schedules = new Map<string, ScheduleRecord>();
  readonly #channels = new Map<string, Set<ControlHandler>>();
  readonly #workers = new Map<
    string,
    { record: WorkerRecord; lastSeen: number; expiresAt: number }
  >();
  readonly #timers = new Map<string, { timer: ReturnType<typeof setTimeout>; at: number }>();
  #tokenPrefix = randomToken();
  #tokenCounter = 0;
  #closed = false;

  constructor(options: MemoryBrokerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#defaultResultTtlMs = options.defaultResultTtlMs ?? 10 * 60_000;
    this.#maxDeliveries = options.maxDeliveries ?? 25;
  }

  async enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]> {
    return this.enqueueNow(queue, jobs);
  }

  /** Synchronous enqueue, for in-process producers that want no extra tick. */
  enqueueNow(queue: string, jobs: NewJob[]): EnqueueResult[] {
    this.#open();
    const q = this.#queue(queue);
    const now = this.#now();
    const out: EnqueueResult[] = new Array(jobs.length);
    for (let i = 0; i < jobs.length; i++) {
      const spec = jobs[i]!;
      if (spec.idempotencyKey !== undefined) {
        const existing = q.idempotency.get(spec.idempotencyKey);
        if (
          existing !== undefined &&
          (q.jobs.has(existing) || q.results.has(existing) || q.dead.has(existing))
        ) {
          out[i] = { id: existing, duplicate: true };
          continue;
        }
        q.idempotency.set(spec.idempotencyKey, spec.id);
      }
      if (q.jobs.has(spec.id)) {
        throw new PlatoonError(
          "BROKER",
          `a job with id ${spec.id} is already in queue ${queue}: ids must be unique`,
        );
      }
      const job: StoredJob = {
        id: spec.id,
        queue,
        task: spec.task,
        payload: spec.payload,
        priority: spec.priority ?? 0,
        runAt: spec.runAt ?? now,
        readyAt: now,
        createdAt: spec.createdAt ?? now,
        maxAttempts: spec.maxAttempts,
        backoff: spec.backoff,
        timeoutMs: spec.timeoutMs,
        idempotencyKey: spec.idempotencyKey,
        resultTtlMs: spec.resultTtlMs,
        traceId: spec.traceId,
        attempt: 0,
        state: "waiting",
        token: "",
        leaseDeadline: 0,
        consumer: undefined,
        lastError: undefined,
      };
      q.jobs.set(job.id, job);
      if (job.runAt > now) q.makeDelayed(job);
      else q.makeReady(job, now);
      out[i] = { id: job.id, duplicate: false };
    }
    this.#wake(q, queue);
    return out;
  }

  async reserve(queue: string, options: ReserveOptions): Promise<Delivery[]> {
    this.#open();
    const q = this.#queue(queue);
    const first = this.reserveNow(queue, options);
    if (first.length > 0 || !options.waitMs || options.waitMs <= 0) return first;
    const deadline = this.#now() + options.waitMs;
    for (;;) {
      const woken = await this.#waitForWork(q, queue, deadline - this.#now(), options.signal);
      if (this.#closed) return [];
      const got = this.reserveNow(queue, options);
      if (got.length > 0 || !woken || options.signal?.aborted || this.#now() >= deadline)
        return got;
    }
  }

  /** Synchronous reserve without waiting. */
  reserveNow(queue: string, options: ReserveOptions): Delivery[] {
    this.#open();
    const q = this.#queue(queue);
    const now = this.#now();
    this.#recover(q, now);
    q.promoteDue(now);
    const out: Delivery[] = [];
    const deadline = now + options.leaseMs;
    while (out.length < options.max) {
      const job = q.takeReady();
      if (!job) break;
      out.push(q.lease(job, this.#token(), deadline, options.consumer));
    }
    return out;
  }

  async settle(queue: string, settlements: Settlement[]): Promise<SettleResult[]> {
    return this.settleNow(queue, settlements);
  }

  settleNow(queue: string, settlements: Settlement[]): SettleResult[] {
    this.#open();
    const q = this.#queue(queue);
    const now = this.#now();
    this.#sweepResults(q, now);
    const out: SettleResult[] = new Array(settlements.length);
    let woke = false;
    for (let i = 0; i < settlements.length; i++) {
      const s = settlements[i]!;
      const job = q.jobs.get(s.id);
      if (!job) {
        out[i] = { id: s.id, ok: false, reason: "unknown-job" };
        continue;
      }
      if (job.state !== "active" || job.token !== s.token) {
        out[i] = { id: s.id, ok: false, reason: "stale-lease" };
        continue;
      }
      q.unlease(job);
      job.token = "";
      switch (s.kind) {
        case "complete":
          q.jobs.delete(job.id);
          this.#finish(q, job, { status: "completed", value: s.result, settledAt: now }, now);
          break;
        case "dead":
          q.jobs.delete(job.id);
          this.#bury(q, job, s.error, now);
          break;
        case "retry":
          job.lastError = s.error;
          job.runAt = s.runAt;
          if (s.runAt > now) q.makeDelayed(job);
          else q.makeReady(job, now);
          woke = true;
          break;
        case "requeue":
          job.attempt = Math.max(0, job.attempt - 1);
          job.runAt = s.runAt ?? now;
          if (job.runAt > now) q.makeDelayed(job);
          else q.makeReady(job, now, true);
          woke = true;
          break;
      }
      out[i] = { id: s.id, ok: true };
    }
    if (woke) this.#wake(q, queue);
    return out;
  }

  async extend(queue: string, leases: LeaseRef[], leaseMs: number): Promise<boolean[]> {
    this.#open();
    const q = this.#queue(queue);
    const deadline = this.#now() + leaseMs;
    return leases.map(({ id, token }) => {
      const job = q.jobs.get(id);
      if (job?.state !== "active" || job.token !== token) return false;
      // The old heap entry goes stale on its own: takeExpiredLeases re-files it.
      job.leaseDeadline = deadline;
      return true;
    });
  }

  /**
   * Calls `listener` with every final result of the queue, kept or not. Not part of the
   * Broker contract: it is how the pool avoids a promise per job.
   */
  onResult(queue: string, listener: ((id: string, result: JobResult) => void) | undefined): void {
    this.#queue(queue).resultListener = listener;
  }

  async getResult(queue: string, id: string): Promise<JobResult | undefined> {
    const q = this.#queue(queue);
    this.#sweepResults(q, this.#now());
    return q.results.get(id)?.result;
  }

  waitResult(queue: string, id: string, timeoutMs: number): Promise<JobResult | undefined> {
    this.#open();
    const q = this.#queue(queue);
    const kept = q.results.get(id);
    if (kept && kept.expiresAt > this.#now()) return Promise.resolve(kept.result);
    // Registered synchronously, so a waiter set up before a job settles never misses it.
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (result: JobResult | undefined) => {
        if (timer !== undefined) clearTimeout(timer);
        const set = q.resultWaiters.get(id);
        set?.delete(done);
        if (set?.size === 0) q.resultWaiters.delete(id);
        resolve(result);
      };
      let set = q.resultWaiters.get(id);
      if (!set) q.resultWaiters.set(id, (set = new Set()));
      set.add(done);
      if (Number.isFinite(timeoutMs))
        timer = setTimeout(() => done(undefined), Math.max(0, timeoutMs));
    });
  }

  async getJob(queue: string, id: string): Promise<JobInfo | undefined> {
    const q = this.#queue(queue);
    const job = q.jobs.get(id);
    if (job) {
      const info: JobInfo = {
        id,
        queue,
        task: job.task,
        state: job.state,
        attempt: job.attempt,
        priority: job.priority,
        runAt: job.runAt,
        createdAt: job.createdAt,
      };
      if (job.maxAttempts !== undefined) info.maxAttempts = job.maxAttempts;
      if (job.traceId !== undefined) info.traceId = job.traceId;
      return info;
    }
    const dead = q.dead.get(id);
    if (dead) {
      return {
        id,
        queue,
        task: dead.task,
        state: "failed",
        attempt: dead.attempt,
        priority: 0,
        runAt: dead.failedAt,
        createdAt: dead.failedAt,
      };
    }
    const kept = q.results.get(id);
    if (kept) {
      return {
        id,
        queue,
        task: "",
        state: kept.result.status,
        attempt: 0,
        priority: 0,
        runAt: kept.result.settledAt,
        createdAt: kept.result.settledAt,
      };
    }
    return undefined;
  }

  async cancel(queue: string, id: string): Promise<boolean> {
    const q = this.#queue(queue);
    const job = q.jobs.get(id);
    if (!job || job.state === "active") return false;
    q.remove(job);
    const now = this.#now();
    this.#finish(q, job, { status: "cancelled", settledAt: now }, now);
    return true;
  }

  async stats(queue: string): Promise<QueueStats> {
    const q = this.#queue(queue);
    const now = this.#now();
    this.#recover(q, now);
    q.promoteDue(now);
    this.#sweepResults(q, now);
    return {
      queue,
      waiting: q.waiting,
      delayed: q.delayedCount,
      active: q.active,
      dead: q.dead.size,
      results: q.results.size,
    };
  }

  async purge(queue: string): Promise<number> {
    return this.#queue(queue).clearPending();
  }

  async listDead(queue: string, options: ListOptions = {}): Promise<DeadLetter[]> {
    const all = [...this.#queue(queue).dead.values()];
    const offset = options.offset ?? 0;
    return all.slice(offset, offset + (options.limit ?? 100));
  }

  async requeueDead(queue: string, ids?: string[]): Promise<number> {
    const q = this.#queue(queue);
    const now = this.#now();
    let count = 0;
    for (const id of ids ?? [...q.dead.keys()]) {
      const dead = q.dead.get(id);
      if (!dead || q.jobs.has(id)) continue;
      q.dead.delete(id);
      q.results.delete(id);
      this.enqueueNow(queue, [
        {
          id,
          task: dead.task,
          payload: dead.payload,
          ...(dead.maxAttempts === undefined ? {} : { maxAttempts: dead.maxAttempts }),
          ...(dead.traceId === undefined ? {} : { traceId: dead.traceId }),
          createdAt: now,
        },
      ]);
      count++;
    }
    return count;
  }

  async deleteDead(queue: string, ids?: string[]): Promise<number> {
    const q = this.#queue(queue);
    let count = 0;
    for (const id of ids ?? [...q.dead.keys()]) if (q.dead.delete(id)) count++;
    return count;
  }

  async acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const held = this.#locks.get(name);
    if (held && held.expiresAt > now && held.owner !== owner) return false;
    this.#locks.set(name, { owner, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLock(name: string, owner: string): Promise<boolean> {
    const held = this.#locks.get(name);
    if (!held || held.owner !== owner || held.expiresAt <= this.#now()) return false;
    this.#locks.delete(name);
    return true;
  }

  async extendLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const held = this.#locks.get(name);
    if (!held || held.owner !== owner || held.expiresAt <= now) return false;
    held.expiresAt = now + ttlMs;
    return true;
  }

  async isLocked(name: string): Promise<boolean> {
    const held = this.#locks.get(name);
    return held !== undefined && held.expiresAt > this.#now();
  }

  async saveSchedule(record: ScheduleRecord): Promise<void> {
    this.#schedules.set(record.id, { ...record });
  }

  async listSchedules(queue?: string): Promise<ScheduleRecord[]> {
    return [...this.#schedules.values()]
      .filter((s) => queue === undefined || s.queue === queue)
      .map((s) => ({ ...s }));
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    const s = this.#schedules.get(id);
    return s && { ...s };
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return this.#schedules.delete(id);
  }

  async claimScheduleTick(
    id: string,
    expectedRunAt: number,
    nextRunAt: number | null,
    jobs: NewJob[],
  ): Promise<boolean> {
    const s = this.#schedules.get(id);
    if (!s || s.paused || s.nextRunAt !== expectedRunAt) return false;
    s.nextRunAt = nextRunAt;
    s.updatedAt = this.#now();
    if (jobs.length > 0) this.enqueueNow(s.queue, jobs);
    return true;
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    const handlers = this.#channels.get(channel);
    if (!handlers) return;
    for (const handler of handlers) {
      const copy = message.slice();
      queueMicrotask(() => {
        try {
          handler(copy);
        } catch {
          // A subscriber's bug must not break the publisher.
        }
      });
    }
  }

  async subscribe(channel: string, handler: ControlHandler): Promise<Unsubscribe> {
    let set = this.#channels.get(channel);
    if (!set) this.#channels.set(channel, (set = new Set()));
    set.add(handler);
    return async () => {
      set.delete(handler);
    };
  }

  async heartbeatWorker(record: WorkerRecord, ttlMs: number): Promise<void> {
    this.#open();
    const now = this.#now();
    const copy = JSON.parse(JSON.stringify(record)) as WorkerRecord;
    delete copy.gone;
    delete copy.lastSeen;
    this.#workers.set(record.id, { record: copy, lastSeen: now, expiresAt: now + ttlMs });
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const now = this.#now();
    const out: WorkerRecord[] = [];
    for (const [id, w] of this.#workers) {
      // Gone for an hour: forgotten.
      if (w.expiresAt + 3_600_000 < now) {
        this.#workers.delete(id);
        continue;
      }
      out.push({ ...w.record, lastSeen: w.lastSeen, gone: w.expiresAt <= now });
    }
    return out;
  }

  async forgetWorker(id: string): Promise<boolean> {
    return this.#workers.delete(id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const q of this.#queues.values()) {
      for (const wake of q.reserveWaiters) wake();
      for (const waiters of q.resultWaiters.values()) for (const w of [...waiters]) w(undefined);
    }
    this.#channels.clear();
  }

  #open(): void {
    if (this.#closed) throw new PlatoonError("CLOSED", "the memory broker is closed");
  }

  #queue(name: string): QueueState {
    let q = this.#queues.get(name);
    if (!q) this.#queues.set(name, (q = new QueueState()));
    return q;
  }

  #token(): string {
    return `${this.#tokenPrefix}${(++this.#tokenCounter).toString(36)}`;
  }

  /** Expired leases: back to the front of the line, or dead when out of attempts. */
  #recover(q: QueueState, now: number): void {
    if (q.leases.size === 0 || q.leases.peekKey()! > now) return;
    for (const job of q.takeExpiredLeases(now)) {
      job.token = "";
      // One lost lease is forgiven beyond maxAttempts; see the Broker contract.
      const limit = job.maxAttempts === undefined ? this.#maxDeliveries : job.maxAttempts + 1;
      if (job.attempt >= limit) {
        q.jobs.delete(job.id);
        this.#bury(
          q,
          job,
          {
            name: "LeaseExpired",
            message: `job ${job.id} (${job.task}) was delivered ${job.attempt} times and its lease expired each time: the worker running it died or hung`,
            fault: "LeaseExpired",
            retryable: false,
          },
          now,
        );
      } else {
        q.makeReady(job, now, true);
      }
    }
  }

  #bury(q: QueueState, job: StoredJob, error: ErrorInfo, now: number): void {
    const dead: DeadLetter = {
      id: job.id,
      queue: job.queue,
      task: job.task,
      payload: job.payload,
      attempt: job.attempt,
      error,
      failedAt: now,
    };
    if (job.maxAttempts !== undefined) dead.maxAttempts = job.maxAttempts;
    if (job.traceId !== undefined) dead.traceId = job.traceId;
    q.dead.set(job.id, dead);
    this.#finish(q, job, { status: "failed", error, settledAt: now }, now);
  }

  /** Hands the result to waiters, and keeps it for its time to live. */
  #finish(q: QueueState, job: StoredJob, result: JobResult, now: number): void {
    const ttl = job.resultTtlMs ?? this.#defaultResultTtlMs;
    if (ttl > 0) {
      const kept: KeptResult = { result, expiresAt: now + ttl, idempotencyKey: job.idempotencyKey };
      q.results.set(job.id, kept);
      q.resultExpiry.push(kept.expiresAt, job.id);
    } else if (job.idempotencyKey !== undefined && !q.dead.has(job.id)) {
      q.idempotency.delete(job.idempotencyKey);
    }
    q.resultListener?.(job.id, result);
    const waiters = q.resultWaiters.get(job.id);
    if (waiters) for (const w of [...waiters]) w(result);
  }

  #sweepResults(q: QueueState, now: number): void {
    while (q.resultExpiry.size > 0 && q.resultExpiry.peekKey()! <= now) {
      const id = q.resultExpiry.pop()!;
      const kept = q.results.get(id);
      if (!kept || kept.expiresAt > now) continue;
      q.results.delete(id);
      if (kept.idempotencyKey !== undefined && !q.jobs.has(id) && !q.dead.has(id)) {
        q.idempotency.delete(kept.idempotencyKey);
      }
    }
  }

  #waitForWork(
    q: QueueState,
    queue: string,
    ms: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (woken: boolean) => {
        if (timer !== undefined) clearTimeout(timer);
        q.reserveWaiters.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        resolve(woken);
      };
      const wake = () => finish(true);
      const onAbort = () => finish(false);
      // An endless wait (the pool's) needs no timer; anything else gets one.
      const timer = Number.isFinite(ms) ? setTimeout(() => finish(false), ms) : undefined;
      q.reserveWaiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#armTimer(q, queue);
    });
  }

  #wake(q: QueueState, queue: string): void {
    if (q.reserveWaiters.size === 0) return;
    if (q.waiting > 0) {
      for (const wake of [...q.reserveWaiters]) wake();
    } else {
      this.#armTimer(q, queue);
    }
  }

  /** While reservers wait, wake them when the next delayed job or lease comes due. */
  #armTimer(q: QueueState, queue: string): void {
    const at = q.earliestTimer();
    const existing = this.#timers.get(queue);
    if (at === undefined || q.reserveWaiters.size === 0) {
      if (existing) clearTimeout(existing.timer);
      this.#timers.delete(queue);
      return;
    }
    // A timer already due no later than needed does the job: waking early only costs a
    // re-check, while re-arming on every wait costs a timer per cycle.
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.#timers.delete(queue);
        for (const wake of [...q.reserveWaiters]) wake();
      },
      Math.max(0, at - this.#now()) + 1,
    );
    this.#timers.set(queue, { timer, at });
  }
}
