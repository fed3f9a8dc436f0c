import { Client } from "../client/client.ts";
import { type Codec, type CodecConfig, createCodec } from "../codec/codec.ts";
import type { Broker, Delivery, Settlement, SettleResult } from "../contracts/broker.ts";
import type { ErrorInfo } from "../contracts/error-info.ts";
import type {
  ExecuteOutcome,
  ExecuteRequest,
  Executor,
  TaskManifest,
  TasksModule,
} from "../contracts/executor.ts";
import { ConfigError, toErrorInfo } from "../errors.ts";
import { InlineExecutor } from "../executor/inline-executor.ts";
import { Deque } from "../util/deque.ts";
import { newId } from "../util/ids.ts";
import { monotonicNow, settledBy } from "../util/time.ts";
import { decide, maxAttemptsOf } from "./decide.ts";
import { callHook, callStopHook, type JobView, view, type WorkerHooks } from "./hooks.ts";
import { MetricsRecorder, type WorkerMetrics } from "./metrics.ts";
import { SettleBuffer } from "./settle-buffer.ts";

export interface WorkerOptions extends CodecConfig {
  broker: Broker;
  /** The tasks module: a specifier (path or file URL) or, for the inline executor, the module. */
  tasks: string | URL | TasksModule;
  /** Default: an InlineExecutor. */
  executor?: Executor;
  /** Default "default". */
  queue?: string;
  /** Jobs running at once. Default: the executor's capacity. */
  concurrency?: number;
  /** Jobs reserved beyond `concurrency`, ready to start. Default: concurrency. */
  prefetch?: number;
  /** Lease per delivery, extended every third of it while the job is held. Default 30 s. */
  leaseMs?: number;
  /** Longest single blocking wait for jobs (Infinity: until one comes or stop). Default 5 s. */
  waitMs?: number;
  /** Timeout for tasks that set none. Default: none. */
  defaultTimeoutMs?: number;
  /** Fires onStarvation after this long without a job. Default 60 s. */
  starvationMs?: number;
  codec?: Codec;
  hooks?: WorkerHooks;
  id?: string;
  /** Where hook failures and broker errors are reported. Default console. */
  logger?: Pick<Console, "warn" | "error">;
}

type State = WorkerMetrics["state"];

/** The longest a stop waits on the broker at each step (fewer when stop's timeoutMs is). */
const STOP_BROKER_GRACE_MS = 10_000;

interface Running {
  delivery: Delivery;
  started: number;
}

/**
 * The consumer runtime: reserve → execute → settle. Holds at most concurrency + prefetch
 * jobs, so memory stays flat whatever the queue's length.
 */
export class Worker {
  readonly id: string;
  readonly queue: string;
  readonly broker: Broker;
  readonly executor: Executor;
  #codec: Codec | undefined;
  #client: Client | undefined;
  #manifest: TaskManifest = {};
  readonly #options: WorkerOptions;
  #concurrency: number;
  #prefetch: number;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #starvationMs: number;
  readonly #hooks: WorkerHooks;
  readonly #log: Pick<Console, "warn" | "error">;
  readonly #buffer = new Deque<Delivery>();
  readonly #running = new Map<string, Running>();
  readonly #enqueueChild: NonNullable<ExecuteRequest["enqueue"]> = (name, payload, o) =>
    this.#client!.enqueueEncoded(name, payload, {
      ...(o?.traceId === undefined ? {} : { traceId: o.traceId }),
      ...(o?.queue === undefined ? {} : { queue: o.queue }),
      ...(o?.priority === undefined ? {} : { priority: o.priority }),
      ...(o?.delayMs === undefined ? {} : { delayMs: o.delayMs }),
      ...(o?.maxAttempts === undefined ? {} : { attempts: o.maxAttempts }),
    }).then((h) => h.id);
  readonly #metrics = new MetricsRecorder();
  #settles!: SettleBuffer;
  #state: State = "starting";
  #pumping = false;
  #reserveAbort = new AbortController();
  #wakeLoop: (() => void) | undefined;
  #idleSince = monotonicNow();
  #starved = false;
  #leaseTimer: ReturnType<typeof setInterval> | undefined;
  #loopDone: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #brokerFailures = 0;
  /** Non-blocking reserves (settle-and-reserve calls) in flight, and the jobs they asked for. */
  #fetches = 0;
  #requested = 0;
  /** A reserve came back short: the queue looked empty, so the next one may block. */
  #drained = false;
  /** After a failed reserve, none is sent before this (monotonic ms). */
  #retryAt = 0;
  readonly #combined: boolean;
  readonly #stopped: Promise<void>;
  #resolveStopped!: () => void;

  constructor(options: WorkerOptions) {
    if (!options?.broker)
      throw new ConfigError("createWorker needs a broker: createWorker({ broker, tasks })");
    if (!options.tasks)
      throw new ConfigError("createWorker needs a tasks module: createWorker({ broker, tasks })");
    this.#options = options;
    this.broker = options.broker;
    this.executor = options.executor ?? new InlineExecutor();
    this.queue = options.queue ?? "default";
    this.id = options.id ?? `worker-${newId()}`;
    this.#concurrency = positive("concurrency", options.concurrency ?? this.executor.capacity);
    this.#prefetch = nonNegative("prefetch", options.prefetch ?? this.#concurrency);
    this.#leaseMs = positive("leaseMs", options.leaseMs ?? 30_000);
    const waitMs = options.waitMs ?? 5_000;
    this.#waitMs = waitMs === Number.POSITIVE_INFINITY ? waitMs : positive("waitMs", waitMs);
    this.#starvationMs = options.starvationMs ?? 60_000;
    this.#hooks = options.hooks ?? {};
    this.#log = options.logger ?? console;
    this.#combined = typeof this.broker.settleAndReserve === "function";
    this.#stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
  }

  /** Loads the tasks (in every executor worker) and starts taking jobs. */
  async start(): Promise<this> {
    this.#codec = this.#options.codec ?? (await createCodec(this.#options));
    this.#client = new Client(this.broker, this.#codec, { queue: this.queue });
    this.#manifest = await this.executor.start({
      tasksModule: this.#options.tasks,
      codec: this.#codec,
      codecSpec: this.#codec.spec(),
    });
    this.#settles = new SettleBuffer(
      this.broker,
      this.queue,
      (results) => this.#onSettled(results),
      (error) => this.#brokerError("settle", error),
      // A settle-and-reserve in flight comes back within a round trip, and the next one
      // carries what is pending: no separate settle call meanwhile.
      () => this.#fetches > 0,
    );
    this.#state = "running";
    this.#leaseTimer = setInterval(
      () => void this.#extendLeases(),
      Math.max(10, this.#leaseMs / 3),
    );
    this.#loopDone = this.#loop();
    return this;
  }

  /** Resolves once the worker has stopped. */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  get state(): State {
    return this.#state;
  }

  get concurrency(): number {
    return this.#concurrency;
  }

  get manifest(): TaskManifest {
    return this.#manifest;
  }

  /** Changes how many jobs run at once, effective immediately. */
  setConcurrency(concurrency: number, prefetch = concurrency): void {
    this.#concurrency = positive("concurrency", concurrency);
    this.#prefetch = nonNegative("prefetch", prefetch);
    this.#pump();
    this.#refill();
    this.#wake();
  }

  /** Stops taking new jobs; running ones finish. */
  pause(): void {
    if (this.#state === "running") {
      this.#state = "paused";
      this.#reserveAbort.abort();
    }
  }

  resume(): void {
    if (this.#state === "paused") {
      this.#state = "running";
      this.#wake();
    }
  }

  /**
   * Graceful (default): stop reserving, hand prefetched jobs back, let running jobs finish
   * (up to timeoutMs, then they are aborted and handed back), settle, close the executor.
   * Not graceful: running jobs are aborted at once and handed back. Each wait on the
   * broker lasts at most 10 s (or timeoutMs, if shorter): with the broker down, a stop
   * still ends, and the jobs it could not settle come back when their leases expire.
   */
  stop(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.graceful ?? true, options.timeoutMs ?? 30_000);
    return this.#stopping;
  }

  metrics(): WorkerMetrics {
    return this.#metrics.snapshot({
      workerId: this.id,
      queue: this.queue,
      state: this.#state,
      concurrency: this.#concurrency,
      inFlight: this.#running.size,
      prefetched: this.#buffer.size,
      executor: this.executor.stats(),
    });
  }

  /**
   * The idle half of the worker: a blocking reserve when the queue looked empty, backoff
   * after a broker error, pause. While there is work, #refill keeps reserves in flight
   * from the completions themselves and this loop sleeps.
   */
  async #loop(): Promise<void> {
    while (this.#state === "running" || this.#state === "paused") {
      if (this.#state === "paused") {
        await this.#sleepUntilWoken();
        continue;
      }
      if (this.#retryAt !== 0) {
        const wait = this.#retryAt - monotonicNow();
        if (wait > 0) {
          await this.#sleepUntilWoken(wait);
          continue;
        }
        this.#retryAt = 0;
      }
      this.#refill();
      const room = this.#room();
      if (!(this.#drained && this.#fetches === 0 && room > 0)) {
        await this.#sleepUntilWoken();
        continue;
      }
      if (this.#combined && this.#settles.size > 0) {
        // Settlements are pending: they go with a (non-blocking) reserve, never beside one.
        this.#fetch(room);
        continue;
      }
      // Nothing in flight, nothing to settle, the queue looked empty: wait in the broker
      // for work (settlements of jobs finishing meanwhile go on their own).
      let deliveries: Delivery[];
      try {
        if (this.#reserveAbort.signal.aborted) this.#reserveAbort = new AbortController();
        deliveries = await this.broker.reserve(this.queue, {
          max: room,
          leaseMs: this.#leaseMs,
          consumer: this.id,
          waitMs: this.#waitMs,
          signal: this.#reserveAbort.signal,
        });
        this.#brokerFailures = 0;
      } catch (error) {
        this.#failed("reserve", error);
        continue;
      }
      if (deliveries.length === 0) {
        this.#checkStarvation();
        continue;
      }
      this.#drained = deliveries.length < room;
      this.#received(deliveries);
    }
    // stop() hands back what in-flight reserves bring, so it waits for them.
    while (this.#fetches > 0) await this.#sleepUntilWoken();
  }

  /** Slots neither held nor asked for. */
  #room(): number {
    return (
      this.#concurrency + this.#prefetch - this.#running.size - this.#buffer.size - this.#requested
    );
  }

  /**
   * Keeps up to two non-blocking reserves in flight, each for half the capacity
   * (concurrency + prefetch), so the broker prepares the next batch while this one runs
   * and the worker never waits for a round trip while it has work. Each reserve carries
   * every settlement pending at that moment (settle and reserve in one call). Refills in
   * bulk: a reserve goes out when half the capacity is free, or when nothing is left to
   * start and nothing is on its way; reserving each slot as it frees would turn every
   * broker call into a batch of one.
   */
  #refill(): void {
    if (this.#state !== "running" || this.#drained || this.#retryAt !== 0) return;
    const capacity = this.#concurrency + this.#prefetch;
    const batch = Math.max(1, Math.ceil(capacity / 2));
    while (this.#fetches < 2) {
      const room = this.#room();
      const starving = this.#buffer.size === 0 && this.#fetches === 0;
      if (room <= 0 || (room < batch && !starving)) return;
      this.#fetch(Math.min(room, batch));
    }
  }

  #fetch(max: number): void {
    this.#fetches++;
    this.#requested += max;
    const options = { max, leaseMs: this.#leaseMs, consumer: this.id };
    let call: Promise<Delivery[]>;
    let batch: Settlement[] | undefined;
    if (this.#combined) {
      batch = this.#settles.take();
      call = this.broker.settleAndReserve!(this.queue, batch, options).then(
        ({ settled, deliveries }) => {
          if (settled.length > 0) this.#onSettled(settled);
          return deliveries;
        },
      );
    } else {
      call = this.broker.reserve(this.queue, { ...options, waitMs: 0 });
    }
    call.then(
      (deliveries) => {
        this.#fetches--;
        this.#requested -= max;
        this.#brokerFailures = 0;
        // Replies come in order: the last one tells whether the queue still has work.
        this.#drained = deliveries.length < max;
        this.#received(deliveries);
        this.#refill();
        // Nothing in flight carries the pending settlements any more: they go on their own.
        if (this.#fetches === 0) this.#settles.release();
        this.#wake();
      },
      (error) => {
        this.#fetches--;
        this.#requested -= max;
        if (batch && batch.length > 0) this.#settles.restore(batch);
        this.#failed("reserve", error);
        if (this.#fetches === 0) this.#settles.release();
        this.#wake();
      },
    );
  }

  /** New deliveries: into the prefetch buffer (or settled at once), then started. */
  #received(deliveries: Delivery[]): void {
    if (deliveries.length === 0) return;
    this.#idleSince = monotonicNow();
    this.#starved = false;
    for (const d of deliveries) this.#accept(d);
    this.#pump();
  }

  #failed(what: string, error: unknown): void {
    this.#brokerError(what, error);
    this.#retryAt = monotonicNow() + Math.min(5_000, 100 * 2 ** Math.min(this.#brokerFailures, 6));
    this.#drained = false;
  }

  /** A delivery that can never run is settled at once; others wait for a slot. */
  #accept(d: Delivery): void {
    const task = this.#manifest[d.task];
    if (!task) {
      this.#finishDead(d, {
        name: "UnknownTask",
        message: `no task named ${JSON.stringify(d.task)} in this worker's tasks module (known: ${Object.keys(this.#manifest).join(", ")})`,
        fault: "UnknownTask",
        retryable: false,
      });
      return;
    }
    const max = maxAttemptsOf(d, task);
    // One lost lease is forgiven (a deploy's SIGKILL should not cost a job its only
    // attempt); a job that keeps killing its workers ends here.
    if (d.attempt > max + 1) {
      this.#finishDead(d, {
        name: "LeaseExpired",
        message: `job ${d.id} (${d.task}) was delivered ${d.attempt} times for ${max} attempts and its worker died or hung past the lease each time`,
        fault: "LeaseExpired",
        retryable: false,
      });
      return;
    }
    this.#buffer.push(d);
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    // Once stopping, prefetched jobs are not started: stop() hands them back.
    const live = this.#state === "running" || this.#state === "paused";
    if (live) {
      while (this.#running.size < this.#concurrency && this.#buffer.size > 0) {
        this.#run(this.#buffer.shift()!);
      }
    }
    this.#pumping = false;
  }

  #run(d: Delivery): void {
    const now = Date.now();
    const task = this.#manifest[d.task];
    const timeoutMs = d.timeoutMs ?? task?.timeoutMs ?? this.#options.defaultTimeoutMs;
    const request: ExecuteRequest = {
      jobId: d.id,
      queue: this.queue,
      task: d.task,
      payload: d.payload,
      attempt: d.attempt,
      maxAttempts: maxAttemptsOf(d, task),
      traceId: d.traceId ?? d.id,
      enqueue: this.#enqueueChild,
    };
    if (timeoutMs !== undefined) request.deadline = now + timeoutMs;
    if (d.discardResult) request.discardResult = true;
    const started = monotonicNow();
    this.#metrics.queueLag.record(Math.max(0, now - d.readyAt));
    const executor = this.executor;
    let out: ExecuteOutcome | Promise<ExecuteOutcome> | undefined;
    try {
      // run() (where the executor has it) reports by callback: no promise per job.
      out = executor.run
        ? executor.run(request, (outcome) => this.#onOutcome(d, outcome, started))
        : executor.execute(request);
    } catch (error) {
      out = crashed(error);
    }
    if (out === undefined || out instanceof Promise) {
      this.#running.set(d.id, { delivery: d, started });
      out?.then(
        (outcome) => this.#onOutcome(d, outcome, started),
        (error) => this.#onOutcome(d, crashed(error), started),
      );
      return;
    }
    // Finished already (an inline sync task): no slot was held, nothing to wake.
    this.#complete(d, out, started);
  }

  #onOutcome(d: Delivery, outcome: ExecuteOutcome, started: number): void {
    const running = this.#running.get(d.id);
    if (running?.delivery !== d) return;
    this.#running.delete(d.id);
    this.#complete(d, outcome, started);
    this.#pump();
    this.#refill();
    // The loop only acts when idle (a blocking reserve may now have room) or stopping.
    if (this.#drained || this.#state !== "running") this.#wake();
  }

  #complete(d: Delivery, outcome: ExecuteOutcome, started: number): void {
    const ms = monotonicNow() - started;
    this.#metrics.duration.record(ms);
    const stopping = this.#state === "stopping" || this.#state === "stopped";
    if (stopping && outcome.status === "error" && outcome.error.fault === "Aborted") {
      // Cut short by our own shutdown: the job did nothing wrong, so it goes back unharmed.
      this.#settles.add({ id: d.id, token: d.token, kind: "requeue" });
      this.#metrics.requeued++;
    } else {
      this.#apply(d, outcome, ms);
    }
  }

  #apply(d: Delivery, outcome: ExecuteOutcome, ms: number): void {
    if (outcome.status === "ok") {
      // The common case, without the decision wrapper (decide() gives the same settlement).
      this.#settles.add({ id: d.id, token: d.token, kind: "complete", result: outcome.result });
      this.#metrics.completed++;
      if (this.#hooks.onSuccess) this.#hook("onSuccess", view(d), ms);
      return;
    }
    const decision = decide(d, outcome, this.#manifest[d.task], Date.now());
    this.#settles.add(decision.settlement);
    const m = this.#metrics;
    if (decision.event === "success") {
      m.completed++;
      if (this.#hooks.onSuccess) this.#hook("onSuccess", view(d), ms);
      return;
    }
    const job = view(d);
    switch (decision.event) {
      case "requeue":
        m.requeued++;
        this.#hook("onRequeue", job);
        if (decision.stopWorker) void this.stop({ graceful: true });
        return;
      case "retry":
        m.failed++;
        m.retried++;
        this.#failureHooks(job, decision.error);
        this.#hook("onRetry", job, decision.error, decision.delayMs);
        return;
      case "dead":
        m.failed++;
        m.deadLettered++;
        this.#failureHooks(job, decision.error);
        this.#hook("onMaxRetries", job, decision.error);
        return;
    }
  }

  #failureHooks(job: JobView, error: ErrorInfo): void {
    if (error.fault === "TaskTimedOut") {
      this.#metrics.timedOut++;
      this.#hook("onTimeout", job, error);
    }
    this.#hook("onFailure", job, error);
  }

  #finishDead(d: Delivery, error: ErrorInfo): void {
    this.#settles.add({ id: d.id, token: d.token, kind: "dead", error });
    this.#metrics.failed++;
    this.#metrics.deadLettered++;
    const job = view(d);
    this.#hook("onFailure", job, error);
    this.#hook("onMaxRetries", job, error);
  }

  #onSettled(results: SettleResult[]): void {
    for (const r of results) if (!r.ok) this.#metrics.staleSettles++;
  }

  async #extendLeases(): Promise<void> {
    const held = [...this.#buffer, ...[...this.#running.values()].map((r) => r.delivery)];
    if (held.length === 0) return;
    try {
      const ok = await this.broker.extend(
        this.queue,
        held.map((d) => ({ id: d.id, token: d.token })),
        this.#leaseMs,
      );
      // A prefetched job whose lease was lost belongs to someone else now: drop it unrun.
      const lost = new Set(held.filter((_, i) => ok[i] === false));
      if (lost.size > 0) {
        const keep = [...this.#buffer].filter((d) => !lost.has(d));
        this.#buffer.clear();
        for (const d of keep) this.#buffer.push(d);
      }
    } catch (error) {
      this.#brokerError("extend", error);
    }
  }

  #checkStarvation(): void {
    const idle = monotonicNow() - this.#idleSince;
    if (!this.#starved && idle >= this.#starvationMs && this.#running.size === 0) {
      this.#starved = true;
      this.#hook("onStarvation", idle);
    }
  }

  async #stop(graceful: boolean, timeoutMs: number): Promise<void> {
    if (this.#state === "starting") {
      this.#state = "stopped";
      this.#resolveStopped();
      return;
    }
    this.#state = "stopping";
    this.#reserveAbort.abort();
    this.#wake();
    // The broker gets a bounded grace at each step: if it is down, what could not be said
    // to it is recovered from the leases later (at-least-once), and the stop goes on.
    const brokerGraceMs = Math.min(STOP_BROKER_GRACE_MS, timeoutMs);
    if (this.#loopDone) await settledBy(this.#loopDone, Date.now() + brokerGraceMs);
    // Prefetched jobs never started: straight back to the queue, attempt not counted.
    for (const d of this.#buffer) this.#settles.add({ id: d.id, token: d.token, kind: "requeue" });
    this.#buffer.clear();
    if (!graceful) await this.executor.close({ graceful: false });
    else if (this.#running.size > 0) {
      const drained = await this.#waitForRunning(timeoutMs);
      if (!drained) await this.executor.close({ graceful: false });
    }
    await this.#waitForRunning(5_000);
    clearInterval(this.#leaseTimer);
    await this.#settles.drain(Date.now() + brokerGraceMs);
    await this.executor.close({ graceful: true });
    this.#state = "stopped";
    await callStopHook(this.#hooks, this.#log, this.id);
    this.#resolveStopped();
  }

  async #waitForRunning(timeoutMs: number): Promise<boolean> {
    const deadline = monotonicNow() + timeoutMs;
    while (this.#running.size > 0) {
      const left = deadline - monotonicNow();
      if (left <= 0) return false;
      await this.#sleepUntilWoken(left);
    }
    return true;
  }

  #sleepUntilWoken(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.#wakeLoop = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.#wakeLoop = undefined;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(() => this.#wakeLoop?.(), ms);
    });
  }

  #wake(): void {
    this.#wakeLoop?.();
  }

  #brokerError(what: string, error: unknown): void {
    // A call left over from before the stop, failing now that the broker is closed or
    // gone: nothing is waiting for it any more.
    if (this.#state === "stopped") return;
    this.#brokerFailures++;
    if (this.#brokerFailures === 1 || this.#brokerFailures % 50 === 0) {
      this.#log.warn(
        `[platoon ${this.id}] broker ${what} failed (${this.#brokerFailures}x), retrying:`,
        error,
      );
    }
  }

  #hook<K extends keyof WorkerHooks>(
    name: K,
    ...args: Parameters<NonNullable<WorkerHooks[K]>>
  ): void {
    callHook(this.#hooks, this.#log, this.id, name, ...args);
  }
}

function crashed(error: unknown): ExecuteOutcome {
  return {
    status: "error",
    error: toErrorInfo(error, { fault: "WorkerCrashed", retryable: true }),
  };
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new ConfigError(`${name} must be a number > 0, got ${value}`);
  return Math.floor(value) || 1;
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new ConfigError(`${name} must be a number >= 0, got ${value}`);
  return Math.floor(value);
}

/** Creates and starts a worker. */
export async function createWorker(options: WorkerOptions): Promise<Worker> {
  return new Worker(options).start();
}
