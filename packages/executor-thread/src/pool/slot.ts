import { DurationRecorder, type ExecutorWorkerStats } from "@platoon/core";
import type { Entry } from "./entry.ts";
import type { WorkerHandle } from "./transport.ts";

/** Why the pool itself ended a worker; an exit with no cause is a crash. */
export type KillCause = "timeout" | "abort" | "memory" | "recycle" | "loadFailed" | "close";

/**
 * One seat of the pool. The worker in it is replaced over time; the counters and the
 * task-time record stay with the seat, so stats() tells the story of its id.
 */
export class Slot {
  readonly id: number;
  handle: WorkerHandle | undefined;
  state: "starting" | "ready" | "stopped" = "starting";
  /** Takes no new jobs; replaced once its in-flight jobs are done. */
  retiring = false;
  /**
   * Reserved to re-run suspects, one at a time with nothing else in flight; takes no
   * regular jobs until no suspect is left.
   */
  isolating = false;
  killCause: KillCause | undefined;
  /** Jobs sent to the current worker and not yet answered, in send order. */
  readonly inFlight = new Map<number, Entry>();
  readonly times = new DurationRecorder();
  readonly counts = { tasks: 0, failures: 0, crashes: 0, timeouts: 0, memoryKills: 0, restarts: 0 };
  readonly since = performance.now();
  busyMs = 0;
  /** Moving average of task time, which sizes how many jobs are sent ahead. */
  avgMs: number | undefined;
  rssMb: number | undefined;
  heapMb: number | undefined;
  /** Tasks the current worker has finished: drives maxTasksPerWorker and crash-loop backoff. */
  tasksThisWorker = 0;
  consecutiveFailedStarts = 0;
  respawnTimer: ReturnType<typeof setTimeout> | undefined;
  stopTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the current worker is gone (close waits on it). */
  exited: Promise<void> = Promise.resolve();
  markExited: () => void = () => {};

  constructor(id: number) {
    this.id = id;
  }

  record(ms: number, failed: boolean): void {
    this.counts.tasks++;
    this.tasksThisWorker++;
    if (failed) this.counts.failures++;
    this.busyMs += ms;
    this.times.record(ms);
    this.avgMs = this.avgMs === undefined ? ms : this.avgMs * 0.9 + ms * 0.1;
  }

  /** How many jobs to keep sent ahead: about 2 ms of work, at least one per task slot. */
  window(concurrency: number, maxPrefetch: number): number {
    if (this.avgMs === undefined) return maxPrefetch;
    const ahead = Math.ceil((2 * concurrency) / Math.max(this.avgMs, 0.001));
    return Math.max(concurrency, Math.min(maxPrefetch, ahead));
  }

  stats(): ExecutorWorkerStats {
    const elapsed = Math.max(1, performance.now() - this.since);
    const state = this.state === "ready" ? (this.inFlight.size > 0 ? "busy" : "idle") : this.state;
    return {
      id: this.id,
      ...(this.handle?.pid === undefined ? {} : { pid: this.handle.pid }),
      state,
      ...this.counts,
      ...(this.rssMb === undefined ? {} : { rssMb: round1(this.rssMb) }),
      ...(this.heapMb === undefined ? {} : { heapMb: round1(this.heapMb) }),
      busyRatio: Math.min(1, this.busyMs / elapsed),
      taskTime: this.times.snapshot(),
    };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
