import type { FromWorker, MemoryReport, ToWorker } from "../wire.ts";

/** How the worker side talks to its pool: a thread's port or a child process's pipe. */
export interface WorkerChannel {
  send(message: FromWorker): void;
  onMessage(handler: (message: ToWorker) => void): void;
  /** This worker's memory as the pool should judge it. */
  memory(): MemoryReport;
  /** Leaves once the pool asked to stop and nothing is running. */
  exit(): void;
}
