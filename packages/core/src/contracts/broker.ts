import type { ErrorInfo } from "./error-info.ts";

/** How long to wait between attempts; plain data so it can live in any broker. */
export type BackoffSpec =
  | { type: "fixed"; delayMs: number }
  | { type: "exponential"; delayMs: number; maxDelayMs?: number; jitter?: number };

/** A job as the producer hands it to a broker. The payload is already encoded. */
export interface NewJob {
  /** Client-chosen id; brokers must keep it. */
  id: string;
  task: string;
  payload: Uint8Array;
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Epoch ms before which the job must not be delivered. */
  runAt?: number;
  /** Total attempts allowed, including the first. Absent: the task's default. */
  maxAttempts?: number;
  backoff?: BackoffSpec;
  timeoutMs?: number;
  /** Enqueue is idempotent on this key while the first job (or its result) is kept. */
  idempotencyKey?: string;
  /** How long the broker keeps the result after the job settles. 0 keeps none. */
  resultTtlMs?: number;
  traceId?: string;
  createdAt?: number;
}

export interface EnqueueResult {
  id: string;
  /** True when an idempotency key matched an existing job; `id` is that job's id. */
  duplicate: boolean;
}

export interface ReserveOptions {
  /** Most deliveries to return. */
  max: number;
  /** Lease length; after it the job is delivered again unless settled or extended. */
  leaseMs: number;
  /** Wait up to this long for a first job when the queue is empty. 0 returns at once. */
  waitMs?: number;
  /** Who holds the lease (worker id), for introspection. */
  consumer?: string;
  /** Aborting ends a wait early with whatever was reserved so far (usually none). */
  signal?: AbortSignal;
}

/** A job as delivered to a consumer, with its lease. */
export interface Delivery {
  id: string;
  queue: string;
  task: string;
  payload: Uint8Array;
  priority: number;
  /** 1 for the first delivery of the job, 2 for the next, and so on. */
  attempt: number;
  /** As enqueued; absent means the task's own default applies (the worker decides). */
  maxAttempts?: number;
  backoff?: BackoffSpec;
  timeoutMs?: number;
  traceId?: string;
  resultTtlMs?: number;
  /**
   * Set by a broker that will neither keep nor pass on this job's result (resultTtlMs 0
   * there): the worker then lets the executor skip encoding it.
   */
  discardResult?: boolean;
  createdAt: number;
  /** When the job became ready (runAt or enqueue time), to measure queue lag. */
  readyAt: number;
  /** Proof of the lease; a settle or extend with any other token is refused. */
  token: string;
  leaseDeadline: number;
}

export interface LeaseRef {
  id: string;
  token: string;
}

export type Settlement =
  | (LeaseRef & { kind: "complete"; result: Uint8Array })
  /** Failed, will run again at `runAt`. The attempt counts. */
  | (LeaseRef & { kind: "retry"; runAt: number; error: ErrorInfo })
  /** Failed for good: stored as a dead letter and as the job's failed result. */
  | (LeaseRef & { kind: "dead"; error: ErrorInfo })
  /** Handed back unrun (shutdown, requeue action): the attempt does not count. */
  | (LeaseRef & { kind: "requeue"; runAt?: number });

export interface SettleResult {
  id: string;
  ok: boolean;
  /** Why a settle was refused. */
  reason?: "stale-lease" | "unknown-job";
}

export type JobResult =
  | { status: "completed"; value: Uint8Array; settledAt: number }
  | { status: "failed"; error: ErrorInfo; settledAt: number }
  | { status: "cancelled"; settledAt: number };

export type JobState = "waiting" | "delayed" | "active" | "completed" | "failed" | "cancelled";

export interface JobInfo {
  id: string;
  queue: string;
  task: string;
  state: JobState;
  attempt: number;
  maxAttempts?: number;
  priority: number;
  runAt: number;
  createdAt: number;
  traceId?: string;
}

export interface QueueStats {
  queue: string;
  waiting: number;
  delayed: number;
  active: number;
  dead: number;
  /** Results currently kept. */
  results: number;
}

export interface DeadLetter {
  id: string;
  queue: string;
  task: string;
  payload: Uint8Array;
  attempt: number;
  maxAttempts?: number;
  error: ErrorInfo;
  failedAt: number;
  traceId?: string;
}

export interface ListOptions {
  offset?: number;
  limit?: number;
}

/** A stored schedule. The scheduler owns the meaning of `spec`; the broker stores it. */
export interface ScheduleRecord {
  id: string;
  queue: string;
  /** Opaque to the broker (JSON text of the schedule definition). */
  spec: string;
  /** Epoch ms of the next tick, or null when the schedule has ended. */
  nextRunAt: number | null;
  paused: boolean;
  updatedAt: number;
}

/** A worker's presence, kept by brokers that implement the optional worker registry. */
export interface WorkerRecord {
  id: string;
  /** Host name, where the runtime tells it. */
  host?: string;
  /** Process id, where the runtime has one. */
  pid?: number;
  queues: string[];
  concurrency: number;
  /** The worker's state at its last heartbeat (running, paused, stopping…). */
  state?: string;
  /** Epoch ms. */
  startedAt: number;
  /** JSON-safe details: metrics, executor stats, runtime. */
  info?: Record<string, unknown>;
  /** Epoch ms of the last heartbeat; set by the broker. */
  lastSeen?: number;
  /** True when no heartbeat came within its time to live; set by the broker. */
  gone?: boolean;
}

export type ControlHandler = (message: Uint8Array) => void;
export type Unsubscribe = () => Promise<void>;

/** What a broker lacks; absent or undefined means supported. */
export interface BrokerCapabilities {
  priorities?: boolean;
  delays?: boolean;
  results?: boolean;
  locks?: boolean;
  schedules?: boolean;
  control?: boolean;
  /** Survives a restart of the process holding it. */
  durable?: boolean;
}

/**
 * Stores and delivers jobs. Every call moves many jobs at once: round trips, not CPU,
 * bound a queue's speed. Delivery is at-least-once: a job leaves the broker only when a
 * settle with its current lease token arrives.
 *
 * Lease expiry: an expired job goes back to the front of its line, unless it has been
 * delivered maxAttempts + 1 times (one lost lease is forgiven, as a worker killed by a
 * deploy is not the job's fault), or a broker-wide cap when it has no maxAttempts; then
 * it is dead-lettered with a LeaseExpired error.
 */
export interface Broker {
  readonly capabilities?: BrokerCapabilities;

  enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]>;
  reserve(queue: string, options: ReserveOptions): Promise<Delivery[]>;
  settle(queue: string, settlements: Settlement[]): Promise<SettleResult[]>;
  /**
   * Optional fast path for busy workers: settle and reserve the next jobs in one round
   * trip. Workers use it when present; its reserve never waits.
   */
  settleAndReserve?(
    queue: string,
    settlements: Settlement[],
    reserve: ReserveOptions,
  ): Promise<{ settled: SettleResult[]; deliveries: Delivery[] }>;
  /** Pushes the lease deadline of each delivery to now + leaseMs. False where refused. */
  extend(queue: string, leases: LeaseRef[], leaseMs: number): Promise<boolean[]>;

  getResult(queue: string, id: string): Promise<JobResult | undefined>;
  /** Resolves when the job settles for good, or with undefined after timeoutMs. */
  waitResult(queue: string, id: string, timeoutMs: number): Promise<JobResult | undefined>;
  getJob(queue: string, id: string): Promise<JobInfo | undefined>;
  /** Cancels a job that is waiting or delayed. False when it is running or gone. */
  cancel(queue: string, id: string): Promise<boolean>;

  stats(queue: string): Promise<QueueStats>;
  /** Removes waiting and delayed jobs. Returns how many. */
  purge(queue: string): Promise<number>;

  listDead(queue: string, options?: ListOptions): Promise<DeadLetter[]>;
  /** Moves dead letters back to waiting with fresh attempts; all when ids is omitted. */
  requeueDead(queue: string, ids?: string[]): Promise<number>;
  deleteDead(queue: string, ids?: string[]): Promise<number>;

  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLock(name: string, owner: string): Promise<boolean>;
  extendLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  isLocked(name: string): Promise<boolean>;

  saveSchedule(record: ScheduleRecord): Promise<void>;
  listSchedules(queue?: string): Promise<ScheduleRecord[]>;
  getSchedule(id: string): Promise<ScheduleRecord | undefined>;
  deleteSchedule(id: string): Promise<boolean>;
  /**
   * Moves a schedule from tick `expectedRunAt` to `nextRunAt` and enqueues `jobs` in one
   * atomic step. Only one of many racing schedulers wins a tick; the others get false.
   */
  claimScheduleTick(
    id: string,
    expectedRunAt: number,
    nextRunAt: number | null,
    jobs: NewJob[],
  ): Promise<boolean>;

  publish(channel: string, message: Uint8Array): Promise<void>;
  subscribe(channel: string, handler: ControlHandler): Promise<Unsubscribe>;

  /**
   * Optional worker registry. Records (or refreshes) a worker's presence; it reads as
   * `gone` once `ttlMs` passes without another heartbeat.
   */
  heartbeatWorker?(record: WorkerRecord, ttlMs: number): Promise<void>;
  /** Every known worker with `lastSeen` and `gone`; long-gone ones may be pruned. */
  listWorkers?(): Promise<WorkerRecord[]>;
  /** Drops a worker's record (on a clean stop). False when there was none. */
  forgetWorker?(id: string): Promise<boolean>;

  close(): Promise<void>;
}
