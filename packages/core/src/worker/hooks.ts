import type { Delivery } from "../contracts/broker.ts";
import type { ErrorInfo } from "../contracts/error-info.ts";

/**
 * What hooks see of a job: its delivery, without the lease token. On an inline pool's
 * direct lane nothing is encoded: `payload` is empty and `input` holds the value.
 */
export type JobView = Omit<Delivery, "token" | "leaseDeadline"> & { input?: unknown };

/** Hooks run on the worker's thread; a hook that throws is logged, never fatal. */
export interface WorkerHooks {
  onSuccess?(job: JobView, durationMs: number): void | Promise<void>;
  /** Every failed attempt, before the retry or dead-letter decision's own hook. */
  onFailure?(job: JobView, error: ErrorInfo): void | Promise<void>;
  onTimeout?(job: JobView, error: ErrorInfo): void | Promise<void>;
  onRetry?(job: JobView, error: ErrorInfo, delayMs: number): void | Promise<void>;
  /** The job failed its last attempt (or could never succeed) and was dead-lettered. */
  onMaxRetries?(job: JobView, error: ErrorInfo): void | Promise<void>;
  onRequeue?(job: JobView): void | Promise<void>;
  /** No job arrived for `starvationMs`; fires once per idle stretch. */
  onStarvation?(idleMs: number): void | Promise<void>;
  onStop?(): void | Promise<void>;
}

export function view(d: Delivery): JobView {
  const { token: _t, leaseDeadline: _l, ...rest } = d;
  return rest;
}

type Log = Pick<Console, "error">;

/** Runs a hook if it is set; a throw or a rejection is logged, never passed on. */
export function callHook<K extends keyof WorkerHooks>(
  hooks: WorkerHooks,
  log: Log,
  who: string,
  name: K,
  ...args: Parameters<NonNullable<WorkerHooks[K]>>
): void {
  const fn = hooks[name] as ((...a: unknown[]) => unknown) | undefined;
  if (!fn) return;
  const fail = (error: unknown) => log.error(`[platoon ${who}] hook ${name} failed:`, error);
  try {
    const r = fn.apply(hooks, args);
    if (r instanceof Promise) r.catch(fail);
  } catch (error) {
    fail(error);
  }
}

/** Awaits onStop if it is set; a failure is logged. */
export async function callStopHook(hooks: WorkerHooks, log: Log, who: string): Promise<void> {
  try {
    await hooks.onStop?.();
  } catch (error) {
    log.error(`[platoon ${who}] hook onStop failed:`, error);
  }
}
