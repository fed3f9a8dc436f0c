import type { Delivery } from "../contracts/broker.ts";
import type { ErrorInfo } from "../contracts/error-info.ts";
import type {
  ChildJobOptions,
  ExecuteOutcome,
  ExecutorStats,
  TaskManifest,
  TasksModule,
} from "../contracts/executor.ts";
import { ConfigError, PlatoonError, RemoteError } from "../errors.ts";
import { fault } from "../executor/inline-executor.ts";
import { failed } from "../task/run-task.ts";
import type { TaskDefinition } from "../task/task.ts";
import { loadTasks, manifestOf } from "../task/tasks-module.ts";
import { newId } from "../util/ids.ts";
import { MinHeap } from "../util/min-heap.ts";
import { monotonicNow } from "../util/time.ts";
import { decide, maxAttemptsOf } from "../worker/decide.ts";
import { callHook, callStopHook, type JobView, type WorkerHooks } from "../worker/hooks.ts";
import { MetricsRecorder, type WorkerMetrics } from "../worker/metrics.ts";
import { closedFailure, type PoolEngine, type PoolJobOptions, QUEUE } from "./engine.ts";
import { LaneContext, type LaneHost } from "./lane-context.ts";
import type { LaneJob } from "./lane-job.ts";
import { Failure, type Receiver } from "./map-state.ts";
import { WaitingLine } from "./waiting-line.ts";

export interface DirectLaneOptions {
  tasks: string | URL | TasksModule;
  concurrency: number;
  hooks?: WorkerHooks;
  defaultTimeoutMs?: number;
  /** Called after each delivered job, so waiting submitters can go on. */
  onRoom: () => void;
  logger?: Pick<Console, "error">;
}

/** Child jobs enqueued by tasks: nobody awaits their values. */
const DROP: Receiver = { deliver() {} };

/**
 * Runs an inline pool's jobs on this thread without a broker or a codec: values pass by
 * reference, as in a function call. Keeps the worker's semantics (attempts, backoff,
 * timeouts, priorities, delays, actions, hooks, metrics) at a fraction of its cost per
 * job, since nothing here has to survive a crash or cross a process.
 */
export class DirectLane implements PoolEngine, LaneHost {
  readonly mode = "direct";
  readonly id = `pool-${newId()}`;
  #tasks = new Map<string, TaskDefinition>();
  #manifest: TaskManifest = {};
  readonly #concurrency: number;
  readonly #hooks: WorkerHooks;
  readonly #defaultTimeoutMs: number | undefined;
  readonly #onRoom: () => void;
  readonly #log: Pick<Console, "error">;
  #state: WorkerMetrics["state"] = "starting";
  #outstanding = 0;
  #running = 0;
  #pumping = false;
  readonly #waiting = new WaitingLine<LaneJob>();
  readonly #delayed = new MinHeap<LaneJob>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** Attempts that may still be running after their start returned (async or guarded). */
  readonly #pending = new Set<LaneContext>();
  readonly #metrics = new MetricsRecorder();
  readonly #startedAt = monotonicNow();
  #busyMs = 0;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: DirectLaneOptions) {
    this.#concurrency = options.concurrency;
    this.#hooks = options.hooks ?? {};
    this.#defaultTimeoutMs = options.defaultTimeoutMs;
    this.#onRoom = options.onRoom;
    this.#log = options.logger ?? console;
  }

  static async start(options: DirectLaneOptions): Promise<DirectLane> {
    const lane = new DirectLane(options);
    lane.#tasks = await loadTasks(options.tasks);
    lane.#manifest = manifestOf(lane.#tasks);
    lane.#state = "running";
    return lane;
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  submit(task: string, input: unknown, o: PoolJobOptions, receiver: Receiver, index: number): void {
    if (this.#closing) throw new PlatoonError("CLOSED", "pool is closed");
    const def = this.#tasks.get(task);
    const now = Date.now();
    const runAt = o.runAt !== undefined ? +o.runAt : o.delayMs ? now + o.delayMs : now;
    const job: LaneJob = {
      id: undefined,
      task,
      def: def!,
      input,
      attempt: 0,
      maxAttempts: o.attempts,
      backoff: o.backoff,
      timeoutMs: o.timeoutMs,
      priority: o.priority ?? def?.options.priority ?? 0,
      traceId: o.traceId,
      createdAt: now,
      readyAt: runAt,
      receiver,
      index,
    };
    if (receiver !== DROP) this.#outstanding++;
    if (!def) {
      this.#dead(job, {
        name: "UnknownTask",
        message: `no task named ${JSON.stringify(task)} in this pool's tasks module (known: ${[...this.#tasks.keys()].join(", ")})`,
        fault: "UnknownTask",
        retryable: false,
      });
      return;
    }
    if (runAt > now) {
      this.#delay(job);
    } else if (
      this.#running < this.#concurrency &&
      this.#waiting.size === 0 &&
      this.#state === "running"
    ) {
      this.#start(job);
    } else {
      this.#waiting.push(job.priority, job);
      this.#pump();
    }
  }

  idOf(job: LaneJob): string {
    job.id ??= newId();
    return job.id;
  }

  maxAttemptsOf(job: LaneJob): number {
    return maxAttemptsOf(job as unknown as Delivery, this.#manifest[job.task]);
  }

  enqueueChild(task: string, input: unknown, options: ChildJobOptions): string {
    if (options.queue !== undefined && options.queue !== QUEUE) {
      throw new ConfigError(
        `a task in a pool can only enqueue into the pool, not queue ${JSON.stringify(options.queue)}: use createClient with a broker for other queues`,
      );
    }
    const jobOptions: PoolJobOptions = {};
    if (options.traceId !== undefined) jobOptions.traceId = options.traceId;
    if (options.priority !== undefined) jobOptions.priority = options.priority;
    if (options.delayMs !== undefined) jobOptions.delayMs = options.delayMs;
    if (options.maxAttempts !== undefined) jobOptions.attempts = options.maxAttempts;
    const id = newId();
    this.submit(task, input, jobOptions, DROP, 0);
    return id;
  }

  #start(job: LaneJob): void {
    job.attempt++;
    this.#running++;
    this.#metrics.queueLag.record(Math.max(0, Date.now() - job.readyAt));
    const timeoutMs = job.timeoutMs ?? job.def.options.timeoutMs ?? this.#defaultTimeoutMs;
    const ctx = new LaneContext(
      this,
      job,
      timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
    );
    if (timeoutMs !== undefined) {
      this.#pending.add(ctx);
      ctx.timer = setTimeout(() => this.#timedOut(ctx), timeoutMs);
    }
    let value: unknown;
    try {
      value = job.def.fn(job.input, ctx);
    } catch (error) {
      this.#fail(ctx, failed(job.def, job.attempt, error));
      return;
    }
    if (value instanceof Promise) {
      this.#pending.add(ctx);
      value.then(
        (v) => this.#succeed(ctx, v),
        (error) => this.#fail(ctx, failed(job.def, job.attempt, error)),
      );
    } else this.#succeed(ctx, value);
  }

  /** Records the end of an attempt once; -1 when it had ended already. */
  #end(ctx: LaneContext): number {
    if (ctx.ended) return -1;
    ctx.ended = true;
    if (ctx.timer !== undefined) clearTimeout(ctx.timer);
    if (this.#pending.size > 0) this.#pending.delete(ctx);
    this.#running--;
    const ms = monotonicNow() - ctx.startedAt;
    this.#metrics.duration.record(ms);
    this.#busyMs += ms;
    if (this.#running === 0) this.#idle?.();
    return ms;
  }

  #succeed(ctx: LaneContext, value: unknown): void {
    const ms = this.#end(ctx);
    if (ms < 0) return;
    this.#metrics.completed++;
    if (this.#hooks.onSuccess) this.#hook("onSuccess", this.#view(ctx.job), ms);
    this.#deliver(ctx.job, value);
    this.#pump();
  }

  #fail(ctx: LaneContext, outcome: ExecuteOutcome): void {
    if (this.#end(ctx) < 0) return;
    this.#apply(ctx.job, outcome);
    this.#pump();
  }

  #timedOut(ctx: LaneContext): void {
    ctx.timer = undefined;
    ctx.abort(new PlatoonError("TaskTimedOut", "task timed out"));
    this.#fail(ctx, fault("TaskTimedOut", `task ${ctx.job.task} passed its deadline`));
  }

  /** The worker's decision on a failed or interrupted attempt, applied in place. */
  #apply(job: LaneJob, outcome: ExecuteOutcome): void {
    const decision = decide(
      job as unknown as Delivery,
      outcome,
      this.#manifest[job.task],
      Date.now(),
    );
    const m = this.#metrics;
    switch (decision.event) {
      case "success":
        return;
      case "retry":
        m.failed++;
        m.retried++;
        this.#failureHooks(job, decision.error);
        this.#hook("onRetry", this.#view(job), decision.error, decision.delayMs);
        job.readyAt = Date.now() + decision.delayMs;
        this.#requeue(job);
        return;
      case "dead":
        this.#dead(job, decision.error);
        return;
      case "requeue": {
        m.requeued++;
        this.#hook("onRequeue", this.#view(job));
        job.attempt--;
        const s = decision.settlement;
        job.readyAt = s.kind === "requeue" && s.runAt !== undefined ? s.runAt : Date.now();
        this.#requeue(job);
        // In a pool, the worker is the pool: stopping it closes the pool gracefully.
        if (decision.stopWorker) void this.close({ graceful: true });
        return;
      }
    }
  }

  #dead(job: LaneJob, error: ErrorInfo): void {
    const m = this.#metrics;
    m.failed++;
    m.deadLettered++;
    this.#failureHooks(job, error);
    this.#hook("onMaxRetries", this.#view(job), error);
    this.#deliver(job, new Failure(new RemoteError(error, this.idOf(job))));
  }

  #failureHooks(job: LaneJob, error: ErrorInfo): void {
    if (error.fault === "TaskTimedOut") {
      this.#metrics.timedOut++;
      this.#hook("onTimeout", this.#view(job), error);
    }
    this.#hook("onFailure", this.#view(job), error);
  }

  #requeue(job: LaneJob): void {
    if (job.readyAt > Date.now()) this.#delay(job);
    else this.#waiting.push(job.priority, job);
  }

  #deliver(job: LaneJob, value: unknown): void {
    const receiver = job.receiver;
    if (receiver === DROP) return;
    this.#outstanding--;
    receiver.deliver(job.index, value);
    this.#onRoom();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    while (
      this.#running < this.#concurrency &&
      this.#waiting.size > 0 &&
      this.#state === "running"
    ) {
      this.#start(this.#waiting.shift()!);
    }
    this.#pumping = false;
  }

  #delay(job: LaneJob): void {
    this.#delayed.push(job.readyAt, job);
    this.#arm();
  }

  /** One timer, for the earliest delayed job. */
  #arm(): void {
    const at = this.#delayed.peekKey();
    if (at === undefined || at >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#promote(), Math.max(0, at - Date.now()));
  }

  #promote(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due: LaneJob[] = [];
    while ((this.#delayed.peekKey() ?? Number.POSITIVE_INFINITY) <= now)
      due.push(this.#delayed.pop()!);
    for (const job of due) this.#waiting.push(job.priority, job);
    this.#arm();
    this.#pump();
  }

  #view(job: LaneJob): JobView {
    const view = {
      id: this.idOf(job),
      queue: QUEUE,
      task: job.task,
      // Nothing is encoded on this lane: the payload is empty and `input` is the value.
      payload: new Uint8Array(0),
      priority: job.priority,
      attempt: job.attempt,
      createdAt: job.createdAt,
      readyAt: job.readyAt,
      input: job.input,
    } as JobView;
    if (job.maxAttempts !== undefined) view.maxAttempts = job.maxAttempts;
    if (job.backoff !== undefined) view.backoff = job.backoff;
    if (job.timeoutMs !== undefined) view.timeoutMs = job.timeoutMs;
    if (job.traceId !== undefined) view.traceId = job.traceId;
    return view;
  }

  #hook<K extends keyof WorkerHooks>(
    name: K,
    ...args: Parameters<NonNullable<WorkerHooks[K]>>
  ): void {
    callHook(this.#hooks, this.#log, this.id, name, ...args);
  }

  metrics(): WorkerMetrics {
    return this.#metrics.snapshot({
      workerId: this.id,
      queue: QUEUE,
      state: this.#state,
      concurrency: this.#concurrency,
      inFlight: this.#running,
      prefetched: this.#waiting.size + this.#delayed.size,
      executor: this.#executorStats(),
    });
  }

  #executorStats(): ExecutorStats {
    const m = this.#metrics;
    const elapsed = Math.max(1, monotonicNow() - this.#startedAt);
    const taskTime = m.duration.snapshot();
    return {
      kind: "inline",
      queued: this.#waiting.size,
      workers: [
        {
          id: 0,
          state: this.#state === "stopped" ? "stopped" : this.#running > 0 ? "busy" : "idle",
          tasks: taskTime.count,
          failures: m.failed,
          crashes: 0,
          timeouts: m.timedOut,
          memoryKills: 0,
          restarts: 0,
          busyRatio: Math.min(1, this.#busyMs / elapsed),
          taskTime,
        },
      ],
    };
  }

  /**
   * Graceful (default): no new starts, running tasks finish (up to timeoutMs); then every
   * job not finished is delivered as CLOSED. Not graceful: running tasks' signals abort.
   */
  close(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.graceful ?? true, options.timeoutMs ?? 30_000);
    return this.#closing;
  }

  async #close(graceful: boolean, timeoutMs: number): Promise<void> {
    this.#state = "stopping";
    if (graceful && this.#running > 0) await this.#whenIdle(timeoutMs);
    for (const ctx of [...this.#pending]) {
      ctx.abort(new PlatoonError("Aborted", "the pool closed"));
      if (this.#end(ctx) >= 0) this.#deliver(ctx.job, closedFailure());
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const left = this.#waiting.drain();
    while (this.#delayed.size > 0) left.push(this.#delayed.pop()!);
    for (const job of left) this.#deliver(job, closedFailure());
    this.#state = "stopped";
    await callStopHook(this.#hooks, this.#log, this.id);
  }

  #whenIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#idle = undefined;
        resolve();
      }
      this.#idle = done;
    });
  }
}
