import type { Codec } from "../codec/codec.ts";
import type { CodecSpec } from "../codec/codec-spec.ts";
import type { BackoffSpec } from "./broker.ts";
import type { ErrorInfo } from "./error-info.ts";

/** What a tasks module is once loaded: its exports, some of which are tasks. */
export type TasksModule = Record<string, unknown>;

export interface ExecutorStartOptions {
  /**
   * Where the tasks live. Thread and process executors need a module specifier (path or
   * file URL) they can import inside each worker; the inline executor also takes the
   * loaded module object.
   */
  tasksModule: string | URL | TasksModule;
  /** The codec, for executors that decode on the calling thread. */
  codec: Codec;
  /** The same codec as plain data, for executors that rebuild it inside a worker. */
  codecSpec: CodecSpec;
}

/** Task defaults as declared by `task(name, fn, options)`, in plain data. */
export interface TaskManifestEntry {
  name: string;
  attempts?: number;
  backoff?: BackoffSpec | "custom";
  timeoutMs?: number;
  priority?: number;
}
export type TaskManifest = Record<string, TaskManifestEntry>;

export interface ExecuteRequest {
  jobId: string;
  queue: string;
  task: string;
  /** Encoded by the producer's codec; decoded where the task runs. */
  payload: Uint8Array;
  attempt: number;
  maxAttempts: number;
  /** Epoch ms after which the executor must end the attempt with a TaskTimedOut fault. */
  deadline?: number;
  traceId?: string;
  /** Aborting cancels a queued request, or interrupts a running one where possible. */
  signal?: AbortSignal;
  /**
   * Lets a task enqueue follow-up jobs (already encoded). The executor passes the running
   * job's trace id in options.traceId so the follow-ups carry it.
   */
  enqueue?: (task: string, payload: Uint8Array, options?: ChildJobOptions) => Promise<string>;
  /**
   * Nobody reads this job's result (its broker keeps none): an executor may skip encoding
   * it and report an empty result.
   */
  discardResult?: boolean;
}

export interface ChildJobOptions {
  queue?: string;
  traceId?: string;
  priority?: number;
  delayMs?: number;
  maxAttempts?: number;
}

export type TaskAction =
  | { type: "retry"; delayMs?: number; reason?: string }
  | { type: "requeue"; delayMs?: number }
  | { type: "stop" };

export type ExecuteOutcome =
  | { status: "ok"; result: Uint8Array }
  /**
   * The task threw, or the executor ended the attempt (`error.fault` says how).
   * `retryDelayMs` is set when the task's own backoff function chose the delay.
   */
  | { status: "error"; error: ErrorInfo; retryDelayMs?: number }
  /** The task asked for something through its context: retry, requeue, stop. */
  | { status: "action"; action: TaskAction };

export interface DurationStats {
  count: number;
  meanMs: number;
  stdMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ExecutorWorkerStats {
  id: number;
  pid?: number;
  state: "starting" | "idle" | "busy" | "stopped";
  tasks: number;
  failures: number;
  crashes: number;
  timeouts: number;
  memoryKills: number;
  restarts: number;
  rssMb?: number;
  heapMb?: number;
  /** Share of wall time spent running tasks since the worker started, 0..1. */
  busyRatio: number;
  taskTime: DurationStats;
}

export interface ExecutorStats {
  kind: string;
  /** Requests accepted but not yet handed to a worker. */
  queued: number;
  workers: ExecutorWorkerStats[];
}

/** Runs a job's task somewhere: this thread, a thread pool, a pool of child processes. */
export interface Executor {
  readonly kind: string;
  /** Tasks it can run at once; the worker's default concurrency. */
  readonly capacity: number;
  /** Loads the tasks module (in every worker) and reports the tasks it found. */
  start(options: ExecutorStartOptions): Promise<TaskManifest>;
  /**
   * Never rejects for a task's failure: every way an attempt can end is an outcome.
   * May return the outcome directly when it is known at once (an inline sync task), which
   * saves a promise per job on the hottest path; callers must accept both.
   */
  execute(request: ExecuteRequest): ExecuteOutcome | Promise<ExecuteOutcome>;
  /**
   * Optional, the same as execute() with a callback instead of a promise: returns the
   * outcome when it is known at once, otherwise undefined, and then calls `done` exactly
   * once, later (never before it returns). Workers prefer it: no promise per job.
   */
  run?(
    request: ExecuteRequest,
    done: (outcome: ExecuteOutcome) => void,
  ): ExecuteOutcome | undefined;
  stats(): ExecutorStats;
  /** graceful: let running tasks finish; otherwise end them with an Aborted fault. */
  close(options?: { graceful?: boolean }): Promise<void>;
}
