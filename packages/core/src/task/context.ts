import type { ChildJobOptions } from "../contracts/executor.ts";
import { TaskActionSignal } from "./actions.ts";

/** What a running task sees of its job, and what it can ask of the worker. */
export interface TaskContext {
  readonly jobId: string;
  readonly queue: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Carried into every job this task enqueues. */
  readonly traceId: string;
  /** Aborted on timeout, cancellation, or a non-graceful shutdown. */
  readonly signal: AbortSignal;
  readonly deadline: number | undefined;
  /** Ends this attempt and schedules another (counts as an attempt). */
  retry(options?: { delayMs?: number; reason?: string }): never;
  /** Hands the job back to the queue unrun (does not count as an attempt). */
  requeue(options?: { delayMs?: number }): never;
  /** Hands the job back and stops this worker gracefully. */
  stopWorker(): never;
  /** Enqueues a follow-up job with this job's trace id; resolves to its id. */
  enqueue(task: string, input: unknown, options?: ChildJobOptions): Promise<string>;
}

/** The actions every context offers: each ends the attempt by throwing a signal. */
export abstract class ActionContext {
  retry(options: { delayMs?: number; reason?: string } = {}): never {
    throw new TaskActionSignal({ type: "retry", ...options });
  }
  requeue(options: { delayMs?: number } = {}): never {
    throw new TaskActionSignal({ type: "requeue", ...options });
  }
  stopWorker(): never {
    throw new TaskActionSignal({ type: "stop" });
  }
}
