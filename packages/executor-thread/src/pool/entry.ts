import type { ExecuteOutcome, ExecuteRequest } from "@platoon/core";
import type { Slot } from "./slot.ts";

/** A request the pool accepted: queued, then sent to a worker, then settled exactly once. */
export interface Entry {
  seq: number;
  request: ExecuteRequest;
  resolve: (outcome: ExecuteOutcome) => void;
  done: boolean;
  /** Waiting in the pool's queue (not yet sent to a worker). */
  queued: boolean;
  slot: Slot | undefined;
  /**
   * Was in flight, with others, on a worker that died of a crash or memory: it runs again
   * alone on a worker to learn whether it was the cause, and is never batched again.
   */
  suspect?: boolean;
  timer?: ReturnType<typeof setTimeout>;
  graceTimer?: ReturnType<typeof setTimeout>;
  onAbort?: () => void;
}
