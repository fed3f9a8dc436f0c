import type { BackoffSpec } from "../contracts/broker.ts";

/**
 * Delay before attempt `attempt + 1`, after `attempt` failed. Exponential doubles from
 * delayMs, capped at maxDelayMs, with +/- jitter (0..1, default 0.2) so a crowd of
 * failed jobs does not return in one wave.
 */
export function backoffDelay(
  spec: BackoffSpec | undefined,
  attempt: number,
  random = Math.random,
): number {
  if (!spec) return 0;
  if (spec.type === "fixed") return spec.delayMs;
  const base = Math.min(
    spec.delayMs * 2 ** Math.max(0, attempt - 1),
    spec.maxDelayMs ?? Number.POSITIVE_INFINITY,
  );
  const jitter = spec.jitter ?? 0.2;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
