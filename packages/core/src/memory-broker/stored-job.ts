import type { BackoffSpec } from "../contracts/broker.ts";
import type { ErrorInfo } from "../contracts/error-info.ts";

export type StoredState = "waiting" | "delayed" | "active";

/** A job while the broker holds it (it leaves on its final settle). */
export interface StoredJob {
  id: string;
  queue: string;
  task: string;
  payload: Uint8Array;
  priority: number;
  runAt: number;
  readyAt: number;
  createdAt: number;
  maxAttempts: number | undefined;
  backoff: BackoffSpec | undefined;
  timeoutMs: number | undefined;
  idempotencyKey: string | undefined;
  resultTtlMs: number | undefined;
  traceId: string | undefined;
  /** Deliveries so far. */
  attempt: number;
  state: StoredState;
  token: string;
  leaseDeadline: number;
  consumer: string | undefined;
  lastError: ErrorInfo | undefined;
}
