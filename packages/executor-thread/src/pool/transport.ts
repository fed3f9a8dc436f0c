import type { FromWorker, InitMessage, ToWorker } from "../wire.ts";

/** How a worker ended, as its transport saw it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** An uncaught error the worker died of, when the transport learned it. */
  error?: unknown;
  /** The runtime killed it for passing its heap limit (worker_threads resourceLimits). */
  outOfMemory?: boolean;
}

export interface WorkerEvents {
  message(message: FromWorker): void;
  exit(info: ExitInfo): void;
  /** Memory measured from outside the worker (a child's RSS from /proc). */
  rss?(mb: number): void;
}

/** One live worker: a thread or a child process. */
export interface WorkerHandle {
  readonly pid?: number;
  send(message: ToWorker): void;
  /**
   * Ends the worker whatever it is doing (thread: terminate; process: SIGTERM, then
   * SIGKILL after a grace period). `exit` fires when it is gone.
   */
  kill(): void;
}

/** Starts workers of one kind; the pool supervises them the same way whatever the kind. */
export interface Transport {
  readonly kind: string;
  spawn(init: InitMessage, events: WorkerEvents): WorkerHandle;
}
