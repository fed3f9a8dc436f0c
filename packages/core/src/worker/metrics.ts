import type { DurationStats, ExecutorStats } from "../contracts/executor.ts";
import { DurationRecorder } from "../util/duration-stats.ts";

export interface WorkerMetrics {
  workerId: string;
  queue: string;
  state: "starting" | "running" | "paused" | "stopping" | "stopped";
  concurrency: number;
  inFlight: number;
  /** Reserved, waiting for a free slot. */
  prefetched: number;
  completed: number;
  failed: number;
  retried: number;
  requeued: number;
  timedOut: number;
  deadLettered: number;
  /** Settles the broker refused because the lease had moved on (a zombie's work). */
  staleSettles: number;
  duration: DurationStats;
  /** From the job being ready to its start. */
  queueLag: DurationStats;
  executor: ExecutorStats;
}

/** What only the runtime knows at the moment of a snapshot. */
export type LiveState = Pick<
  WorkerMetrics,
  "workerId" | "queue" | "state" | "concurrency" | "inFlight" | "prefetched" | "executor"
>;

export class MetricsRecorder {
  completed = 0;
  failed = 0;
  retried = 0;
  requeued = 0;
  timedOut = 0;
  deadLettered = 0;
  staleSettles = 0;
  readonly duration = new DurationRecorder();
  readonly queueLag = new DurationRecorder();

  snapshot(live: LiveState): WorkerMetrics {
    return {
      ...live,
      completed: this.completed,
      failed: this.failed,
      retried: this.retried,
      requeued: this.requeued,
      timedOut: this.timedOut,
      deadLettered: this.deadLettered,
      staleSettles: this.staleSettles,
      duration: this.duration.snapshot(),
      queueLag: this.queueLag.snapshot(),
    };
  }
}
