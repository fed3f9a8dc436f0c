import type { DeadLetter, Delivery, JobResult } from "../contracts/broker.ts";
import { Deque } from "../util/deque.ts";
import { MinHeap } from "../util/min-heap.ts";
import type { StoredJob } from "./stored-job.ts";

export interface KeptResult {
  result: JobResult;
  expiresAt: number;
  idempotencyKey: string | undefined;
}

/**
 * One queue's jobs. Ready jobs sit in one FIFO per priority; delayed jobs and leases sit
 * in heaps keyed by time. Heaps and FIFOs are cleaned lazily: an entry counts only while
 * the job it points to is still in the state (and lease) it was filed under.
 */
export class QueueState {
  readonly jobs = new Map<string, StoredJob>();
  readonly #ready = new Map<number, Deque<StoredJob>>();
  /** Priorities that have a FIFO, highest first. */
  #priorities: number[] = [];
  readonly delayed = new MinHeap<StoredJob>();
  readonly leases = new MinHeap<StoredJob>();
  readonly #active = new Set<StoredJob>();
  readonly results = new Map<string, KeptResult>();
  readonly resultExpiry = new MinHeap<string>();
  readonly dead = new Map<string, DeadLetter>();
  readonly idempotency = new Map<string, string>();
  readonly reserveWaiters = new Set<() => void>();
  readonly resultWaiters = new Map<string, Set<(result: JobResult | undefined) => void>>();
  /** Told of every final result, kept or not (the pool's way to skip a promise per job). */
  resultListener: ((id: string, result: JobResult) => void) | undefined;
  waiting = 0;
  delayedCount = 0;
  active = 0;

  makeReady(job: StoredJob, readyAt: number, front = false): void {
    job.state = "waiting";
    job.readyAt = readyAt;
    let fifo = this.#ready.get(job.priority);
    if (!fifo) {
      fifo = new Deque();
      this.#ready.set(job.priority, fifo);
      this.#priorities.push(job.priority);
      this.#priorities.sort((a, b) => b - a);
    }
    if (front) fifo.unshift(job);
    else fifo.push(job);
    this.waiting++;
  }

  makeDelayed(job: StoredJob): void {
    job.state = "delayed";
    this.delayed.push(job.runAt, job);
    this.delayedCount++;
  }

  /** Next ready job by priority, then FIFO; skips entries made stale by cancel or purge. */
  takeReady(): StoredJob | undefined {
    for (let i = 0; i < this.#priorities.length; i++) {
      const fifo = this.#ready.get(this.#priorities[i]!)!;
      let job = fifo.shift();
      while (job && (job.state !== "waiting" || this.jobs.get(job.id) !== job)) job = fifo.shift();
      if (job) {
        this.waiting--;
        return job;
      }
    }
    return undefined;
  }

  /** Moves delayed jobs whose time has come to ready. */
  promoteDue(now: number): void {
    while (this.delayed.size > 0 && this.delayed.peekKey()! <= now) {
      const job = this.delayed.pop()!;
      if (job.state !== "delayed" || this.jobs.get(job.id) !== job || job.runAt > now) continue;
      this.delayedCount--;
      this.makeReady(job, job.runAt);
    }
  }

  lease(job: StoredJob, token: string, deadline: number, consumer: string | undefined): Delivery {
    job.state = "active";
    job.attempt++;
    job.token = token;
    job.leaseDeadline = deadline;
    job.consumer = consumer;
    this.active++;
    this.#active.add(job);
    this.leases.push(deadline, job);
    if (this.leases.size > 2 * this.active + 1024) this.#compactLeases();
    return toDelivery(job);
  }

  /** Settled jobs leave stale heap entries behind; rebuild from live leases now and then. */
  #compactLeases(): void {
    this.leases.clear();
    for (const job of this.#active) this.leases.push(job.leaseDeadline, job);
  }

  /** Jobs whose lease ran out, removed from the active count; the caller decides their fate. */
  takeExpiredLeases(now: number): StoredJob[] {
    const expired: StoredJob[] = [];
    while (this.leases.size > 0 && this.leases.peekKey()! <= now) {
      const filedAt = this.leases.peekKey()!;
      const job = this.leases.pop()!;
      // Stale entries: the job settled, or was extended (then its deadline moved on).
      if (
        job.state !== "active" ||
        this.jobs.get(job.id) !== job ||
        job.leaseDeadline !== filedAt
      ) {
        if (
          job.state === "active" &&
          this.jobs.get(job.id) === job &&
          job.leaseDeadline !== filedAt
        ) {
          this.leases.push(job.leaseDeadline, job);
        }
        continue;
      }
      this.unlease(job);
      expired.push(job);
    }
    return expired;
  }

  /** The job's lease ends (settled or expired); the caller sets its next state. */
  unlease(job: StoredJob): void {
    this.active--;
    this.#active.delete(job);
  }

  /** Removes a job from the broker's live set; its FIFO/heap entries go stale. */
  remove(job: StoredJob): void {
    if (job.state === "waiting") this.waiting--;
    else if (job.state === "delayed") this.delayedCount--;
    else this.unlease(job);
    this.jobs.delete(job.id);
  }

  clearPending(): number {
    let removed = 0;
    for (const job of [...this.jobs.values()]) {
      if (job.state === "active") continue;
      this.remove(job);
      if (job.idempotencyKey) this.idempotency.delete(job.idempotencyKey);
      removed++;
    }
    for (const fifo of this.#ready.values()) fifo.clear();
    this.delayed.clear();
    return removed;
  }

  earliestTimer(): number | undefined {
    const a = this.delayed.peekKey();
    const b = this.leases.peekKey();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }
}

function toDelivery(job: StoredJob): Delivery {
  const d: Delivery = {
    id: job.id,
    queue: job.queue,
    task: job.task,
    payload: job.payload,
    priority: job.priority,
    attempt: job.attempt,
    createdAt: job.createdAt,
    readyAt: job.readyAt,
    token: job.token,
    leaseDeadline: job.leaseDeadline,
  };
  if (job.maxAttempts !== undefined) d.maxAttempts = job.maxAttempts;
  if (job.backoff !== undefined) d.backoff = job.backoff;
  if (job.timeoutMs !== undefined) d.timeoutMs = job.timeoutMs;
  if (job.traceId !== undefined) d.traceId = job.traceId;
  if (job.resultTtlMs !== undefined) d.resultTtlMs = job.resultTtlMs;
  return d;
}
