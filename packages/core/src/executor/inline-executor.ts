import type { Codec } from "../codec/codec.ts";
import type {
  ExecuteOutcome,
  ExecuteRequest,
  Executor,
  ExecutorStartOptions,
  ExecutorStats,
  ExecutorWorkerStats,
  TaskManifest,
} from "../contracts/executor.ts";
import { PlatoonError } from "../errors.ts";
import { type OutcomeCallback, startTask } from "../task/run-task.ts";
import type { TaskDefinition } from "../task/task.ts";
import { loadTasks, manifestOf } from "../task/tasks-module.ts";
import { DurationRecorder } from "../util/duration-stats.ts";
import { monotonicNow } from "../util/time.ts";

export interface InlineExecutorOptions {
  /** Tasks run at once (async tasks overlap; sync ones run back to back). Default 16. */
  capacity?: number;
}

/**
 * Runs tasks on the calling thread. A timeout aborts the task's signal and ends the
 * attempt at once; a synchronous loop cannot be interrupted here, so use the thread or
 * process executor for code that may hang.
 */
export class InlineExecutor implements Executor {
  readonly kind = "inline";
  readonly capacity: number;
  #tasks: Map<string, TaskDefinition> | undefined;
  #codec: Codec | undefined;
  #closed = false;
  readonly #startedAt = monotonicNow();
  #busyMs = 0;
  #running = 0;
  readonly #times = new DurationRecorder();
  readonly #counts = { tasks: 0, failures: 0, timeouts: 0 };
  readonly #guards = new Map<AbortController, OutcomeCallback>();
  readonly #plain = new Set<OutcomeCallback>();

  constructor(options: InlineExecutorOptions = {}) {
    this.capacity = options.capacity ?? 16;
  }

  async start(options: ExecutorStartOptions): Promise<TaskManifest> {
    this.#tasks = await loadTasks(options.tasksModule);
    this.#codec = options.codec;
    return manifestOf(this.#tasks);
  }

  execute(request: ExecuteRequest): ExecuteOutcome | Promise<ExecuteOutcome> {
    if (!this.#tasks) return Promise.reject(notStarted());
    let resolve!: OutcomeCallback;
    const now = this.run(request, (o) => resolve(o));
    if (now !== undefined) return now;
    return new Promise<ExecuteOutcome>((r) => {
      resolve = r;
    });
  }

  run(request: ExecuteRequest, done: OutcomeCallback): ExecuteOutcome | undefined {
    const tasks = this.#tasks;
    const codec = this.#codec;
    if (!tasks || !codec) throw notStarted();
    if (this.#closed) return fault("Aborted", "executor is closed");
    if (request.signal?.aborted) return fault("Aborted", "cancelled before it started");
    const started = monotonicNow();
    this.#running++;
    if (request.deadline !== undefined || request.signal) {
      return this.#guarded(tasks, codec, request, started, done);
    }
    // The common case (no deadline, no signal): no timer, no controller, no promise of our
    // own; a synchronous task's outcome is returned as is.
    let finished = false;
    const settle = (o: ExecuteOutcome) => {
      if (finished) return;
      finished = true;
      this.#plain.delete(settle);
      done(this.#finish(o, started));
    };
    let out: ExecuteOutcome | undefined;
    try {
      out = startTask(tasks, codec, request, undefined, request.enqueue, settle);
    } catch (error) {
      out = fault("WorkerCrashed", (error as Error)?.message ?? String(error));
    }
    if (out !== undefined) {
      finished = true;
      return this.#finish(out, started);
    }
    // Tracked so a non-graceful close can end it with an Aborted fault.
    this.#plain.add(settle);
    return undefined;
  }

  #guarded(
    tasks: Map<string, TaskDefinition>,
    codec: Codec,
    request: ExecuteRequest,
    started: number,
    done: OutcomeCallback,
  ): ExecuteOutcome | undefined {
    const controller = new AbortController();
    let finished = false;
    // An ending that comes while the task is being called is returned, not passed to done.
    let calling = true;
    let early: ExecuteOutcome | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      this.#guards.delete(controller);
    };
    const settle = (outcome: ExecuteOutcome) => {
      if (finished) return;
      if (calling) {
        early ??= outcome;
        return;
      }
      cleanup();
      done(this.#finish(outcome, started));
    };
    const onAbort = () => {
      controller.abort(request.signal?.reason);
      settle(fault("Aborted", "cancelled while running"));
    };
    this.#guards.set(controller, settle);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    if (request.deadline !== undefined) {
      timer = setTimeout(
        () => {
          controller.abort(new PlatoonError("TaskTimedOut", "task timed out"));
          settle(fault("TaskTimedOut", `task ${request.task} passed its deadline`));
        },
        Math.max(0, request.deadline - Date.now()),
      );
    }
    let out: ExecuteOutcome | undefined;
    try {
      out = startTask(tasks, codec, request, controller.signal, request.enqueue, settle);
    } catch (error) {
      out = fault("WorkerCrashed", (error as Error)?.message ?? String(error));
    }
    calling = false;
    const first = early ?? out;
    if (first === undefined) return undefined;
    cleanup();
    return this.#finish(first, started);
  }

  #finish(outcome: ExecuteOutcome, started: number): ExecuteOutcome {
    const ms = monotonicNow() - started;
    this.#running--;
    this.#busyMs += ms;
    this.#times.record(ms);
    this.#counts.tasks++;
    if (outcome.status === "error") {
      this.#counts.failures++;
      if (outcome.error.fault === "TaskTimedOut") this.#counts.timeouts++;
    }
    return outcome;
  }

  stats(): ExecutorStats {
    const elapsed = Math.max(1, monotonicNow() - this.#startedAt);
    const worker: ExecutorWorkerStats = {
      id: 0,
      state: this.#closed ? "stopped" : this.#running > 0 ? "busy" : "idle",
      tasks: this.#counts.tasks,
      failures: this.#counts.failures,
      crashes: 0,
      timeouts: this.#counts.timeouts,
      memoryKills: 0,
      restarts: 0,
      busyRatio: Math.min(1, this.#busyMs / elapsed),
      taskTime: this.#times.snapshot(),
    };
    return { kind: this.kind, queued: 0, workers: [worker] };
  }

  async close(options: { graceful?: boolean } = {}): Promise<void> {
    this.#closed = true;
    if (!options.graceful) {
      for (const settle of [...this.#plain]) {
        settle(fault("Aborted", "executor closed before the task finished"));
      }
      for (const [controller, settle] of this.#guards) {
        controller.abort(new PlatoonError("Aborted", "executor closed"));
        settle(fault("Aborted", "executor closed before the task finished"));
      }
    }
  }
}

function notStarted(): PlatoonError {
  return new PlatoonError("EXECUTOR", "the inline executor was used before start()");
}

/** An outcome for an ending the executor imposed (not the task's own error). */
export function fault(
  kind: "Aborted" | "TaskTimedOut" | "WorkerCrashed",
  message: string,
): ExecuteOutcome {
  return {
    status: "error",
    error: { name: kind, message, fault: kind, retryable: kind !== "Aborted" },
  };
}

export function createInlineExecutor(options?: InlineExecutorOptions): InlineExecutor {
  return new InlineExecutor(options);
}
