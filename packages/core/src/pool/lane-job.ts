import type { BackoffSpec } from "../contracts/broker.ts";
import type { TaskDefinition } from "../task/task.ts";
import type { Receiver } from "./map-state.ts";

/**
 * A job on the direct lane. Its field names match a broker Delivery's, so the worker's
 * decide() and hook views apply to it unchanged.
 */
export interface LaneJob {
  /** Made on first use (hooks, ctx.jobId, errors): most jobs never need one. */
  id: string | undefined;
  task: string;
  def: TaskDefinition;
  input: unknown;
  /** Attempts started so far. */
  attempt: number;
  maxAttempts: number | undefined;
  backoff: BackoffSpec | undefined;
  timeoutMs: number | undefined;
  priority: number;
  traceId: string | undefined;
  createdAt: number;
  /** Epoch ms when it became (or becomes) ready to run. */
  readyAt: number;
  receiver: Receiver;
  index: number;
}
