import type { ChildJobOptions } from "../contracts/executor.ts";
import { ActionContext, type TaskContext } from "../task/context.ts";
import { monotonicNow } from "../util/time.ts";
import { QUEUE } from "./engine.ts";
import type { LaneJob } from "./lane-job.ts";

/** What the lane needs from its context: job ids on demand, and child jobs. */
export interface LaneHost {
  idOf(job: LaneJob): string;
  maxAttemptsOf(job: LaneJob): number;
  enqueueChild(task: string, input: unknown, options: ChildJobOptions): string;
}

/**
 * One attempt of a job on the direct lane, as its task sees it. Built per attempt, so it
 * only keeps references; the id and the signal are made when first asked for.
 */
export class LaneContext extends ActionContext implements TaskContext {
  readonly job: LaneJob;
  readonly startedAt = monotonicNow();
  readonly deadline: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Set once the attempt's ending is recorded; later endings are ignored. */
  ended = false;
  readonly #host: LaneHost;
  #controller: AbortController | undefined;

  constructor(host: LaneHost, job: LaneJob, deadline: number | undefined) {
    super();
    this.#host = host;
    this.job = job;
    this.deadline = deadline;
  }

  get jobId(): string {
    return this.#host.idOf(this.job);
  }
  get queue(): string {
    return QUEUE;
  }
  get attempt(): number {
    return this.job.attempt;
  }
  get maxAttempts(): number {
    return this.#host.maxAttemptsOf(this.job);
  }
  get traceId(): string {
    return this.job.traceId ?? this.jobId;
  }
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** Aborts the signal if the task ever looked at it. */
  abort(reason: Error): void {
    this.#controller?.abort(reason);
  }

  async enqueue(task: string, input: unknown, options: ChildJobOptions = {}): Promise<string> {
    return this.#host.enqueueChild(task, input, { ...options, traceId: this.traceId });
  }
}
