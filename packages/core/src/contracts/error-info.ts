/** A task error as it travels between processes: plain data, no prototype. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  /** A machine-readable code, when the error had one (PlatoonError codes, errno names). */
  code?: string;
  /** False when retrying cannot help; the worker then dead-letters at once. */
  retryable?: boolean;
  /** Set when the executor, not the task, ended the attempt. */
  fault?: FaultKind;
}

export type FaultKind =
  | "WorkerCrashed"
  | "MemoryLimitExceeded"
  | "TaskTimedOut"
  | "Aborted"
  | "LeaseExpired"
  | "UndecodablePayload"
  | "UnknownTask";
