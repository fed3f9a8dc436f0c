import { PlatoonError } from "@platoon/core";

export function brokerError(message: string, cause?: unknown): PlatoonError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new PlatoonError("BROKER", `redis broker: ${message}${detail}`, { cause });
}

export function closedError(): PlatoonError {
  return new PlatoonError("CLOSED", "redis broker: closed");
}

/**
 * Errors worth retrying: the connection dropped, or Redis is starting, failing over or
 * busy. A command that hit one may or may not have run; every script tolerates a rerun.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = error.name;
  const message = error.message;
  if (name === "ReplyError") {
    return /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|MOVED|ASK)\b/.test(message);
  }
  return (
    name === "MaxRetriesPerRequestError" ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|Command timed out|Socket closed|socket hang up/i.test(
      message,
    )
  );
}
