import type { Delivery, Settlement } from "../contracts/broker.ts";
import type { ErrorInfo } from "../contracts/error-info.ts";
import type { ExecuteOutcome, TaskManifestEntry } from "../contracts/executor.ts";
import { backoffDelay } from "../task/backoff.ts";

export type Decision =
  | { settlement: Settlement; event: "success" }
  | { settlement: Settlement; event: "retry"; error: ErrorInfo; delayMs: number }
  | { settlement: Settlement; event: "dead"; error: ErrorInfo }
  | { settlement: Settlement; event: "requeue"; stopWorker: boolean };

export function maxAttemptsOf(d: Delivery, task: TaskManifestEntry | undefined): number {
  return d.maxAttempts ?? task?.attempts ?? 1;
}

/** Turns an attempt's outcome into what the broker should do with the job. Pure. */
export function decide(
  d: Delivery,
  outcome: ExecuteOutcome,
  task: TaskManifestEntry | undefined,
  now: number,
  random: () => number = Math.random,
): Decision {
  if (outcome.status === "ok") {
    return {
      event: "success",
      settlement: { id: d.id, token: d.token, kind: "complete", result: outcome.result },
    };
  }
  const ref = { id: d.id, token: d.token };
  if (outcome.status === "action") {
    const action = outcome.action;
    if (action.type === "retry") {
      const error: ErrorInfo = {
        name: "RetryRequested",
        message: action.reason ?? "the task asked to be retried",
      };
      return retryOrDead(d, task, error, now, action.delayMs ?? 0);
    }
    const runAt = action.type === "requeue" && action.delayMs ? now + action.delayMs : undefined;
    return {
      event: "requeue",
      stopWorker: action.type === "stop",
      settlement: { ...ref, kind: "requeue", ...(runAt === undefined ? {} : { runAt }) },
    };
  }
  const error = outcome.error;
  if (error.retryable === false) return dead(d, error);
  const spec = d.backoff ?? (typeof task?.backoff === "object" ? task.backoff : undefined);
  const delay = outcome.retryDelayMs ?? backoffDelay(spec, d.attempt, random);
  return retryOrDead(d, task, error, now, delay);
}

function retryOrDead(
  d: Delivery,
  task: TaskManifestEntry | undefined,
  error: ErrorInfo,
  now: number,
  delayMs: number,
): Decision {
  const max = maxAttemptsOf(d, task);
  if (d.attempt >= max) {
    return dead(d, {
      ...error,
      message: `${error.message} (gave up after ${d.attempt} of ${max} attempts)`,
    });
  }
  return {
    event: "retry",
    error,
    delayMs,
    settlement: { id: d.id, token: d.token, kind: "retry", runAt: now + delayMs, error },
  };
}

function dead(d: Delivery, error: ErrorInfo): Decision {
  return { event: "dead", error, settlement: { id: d.id, token: d.token, kind: "dead", error } };
}
