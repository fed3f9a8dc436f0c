import type { BackoffSpec } from "../contracts/broker.ts";

export interface EnqueueOptions {
  /** Queue to put the job on; default the client's queue. */
  queue?: string;
  /** Higher runs first. Default: the task's priority, else 0. */
  priority?: number;
  /** Run no sooner than this many ms from now. */
  delayMs?: number;
  /** Run no sooner than this time. */
  runAt?: Date | number;
  /** Total attempts including the first. Default: the task's, else 1. */
  attempts?: number;
  backoff?: BackoffSpec;
  /** Per attempt. Default: the task's. */
  timeoutMs?: number;
  /** A second enqueue with this key returns the first job while it (or its result) is kept. */
  idempotencyKey?: string;
  /** How long the broker keeps the result. 0 keeps none (fire and forget). */
  resultTtlMs?: number;
  traceId?: string;
  /** Your own id for the job; must be unique in the queue. */
  id?: string;
}

export interface ResultOptions {
  /** Reject with a TimeoutError after this long. Default: wait as long as it takes. */
  timeoutMs?: number;
}
