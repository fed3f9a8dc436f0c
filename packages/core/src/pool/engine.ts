import type { EnqueueOptions } from "../client/enqueue-options.ts";
import { PlatoonError } from "../errors.ts";
import type { WorkerMetrics } from "../worker/metrics.ts";
import { Failure, type Receiver } from "./map-state.ts";

export type PoolJobOptions = Omit<
  EnqueueOptions,
  "id" | "idempotencyKey" | "queue" | "resultTtlMs"
>;

/**
 * What runs a pool's jobs: the direct lane (inline tasks, no broker, no codec) or a
 * memory broker with a worker (thread and process executors). Either delivers each
 * job's value, or a Failure, to the receiver it was submitted with.
 */
export interface PoolEngine {
  readonly mode: "direct" | "broker";
  /** Jobs submitted and not yet delivered. */
  readonly outstanding: number;
  /** Throws a CLOSED PlatoonError once closing has begun. */
  submit(
    task: string,
    input: unknown,
    options: PoolJobOptions,
    receiver: Receiver,
    index: number,
  ): void | Promise<void>;
  metrics(): WorkerMetrics;
  /** Stops; every job not finished by then is delivered as a CLOSED Failure. */
  close(options: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export const QUEUE = "pool";

export function closedFailure(): Failure {
  return new Failure(new PlatoonError("CLOSED", "the pool closed before this job finished"));
}
