import type { ErrorInfo, FaultKind } from "./contracts/error-info.ts";

export type PlatoonErrorCode =
  | "CONFIG"
  | "CODEC"
  | "PAYLOAD_TOO_LARGE"
  | "UNKNOWN_TASK"
  | "TIMEOUT"
  | "CANCELLED"
  | "CLOSED"
  | "REMOTE"
  | "QUEUE_FULL"
  | "BROKER"
  | "EXECUTOR"
  | FaultKind;

/** Every error Platoon throws: a stable `code` to branch on, and the `cause` kept. */
export class PlatoonError extends Error {
  readonly code: PlatoonErrorCode;
  constructor(code: PlatoonErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A bad option or name in configuration; the message lists what would be accepted. */
export class ConfigError extends PlatoonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG", message, options);
  }
}

/** Bytes that cannot be decoded, or a value that cannot be encoded. */
export class CodecError extends PlatoonError {
  constructor(
    message: string,
    options?: { cause?: unknown; code?: "CODEC" | "PAYLOAD_TOO_LARGE" },
  ) {
    super(options?.code ?? "CODEC", message, options);
  }
}

export class TimeoutError extends PlatoonError {
  constructor(message: string) {
    super("TIMEOUT", message);
  }
}

export class CancelledError extends PlatoonError {
  constructor(message: string) {
    super("CANCELLED", message);
  }
}

/**
 * A task's failure seen from the client. `name`, `message` and `stack` are the task
 * error's own; `remoteName` keeps the name too, since some tools overwrite `name`.
 */
export class RemoteError extends PlatoonError {
  readonly remoteName: string;
  readonly remoteCode: string | undefined;
  readonly fault: FaultKind | undefined;
  constructor(info: ErrorInfo, jobId?: string) {
    super("REMOTE", info.message);
    this.name = info.name;
    this.remoteName = info.name;
    this.remoteCode = info.code;
    this.fault = info.fault;
    const where = jobId ? `    at <platoon job ${jobId}>` : "    at <platoon job>";
    this.stack = info.stack ? `${info.stack}\n${where}` : `${info.name}: ${info.message}\n${where}`;
  }
}

/** Turns anything thrown into plain data that can cross a process boundary. */
export function toErrorInfo(error: unknown, extra?: Partial<ErrorInfo>): ErrorInfo {
  if (error instanceof Error) {
    const info: ErrorInfo = { name: error.name, message: error.message };
    if (error.stack) info.stack = error.stack;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") info.code = code;
    const retryable = (error as { retryable?: unknown }).retryable;
    if (typeof retryable === "boolean") info.retryable = retryable;
    return { ...info, ...extra };
  }
  if (error && typeof error === "object" && "message" in error) {
    const e = error as { name?: unknown; message?: unknown };
    return { name: String(e.name ?? "Error"), message: String(e.message), ...extra };
  }
  return { name: "Error", message: `non-error thrown: ${describeThrown(error)}`, ...extra };
}

function describeThrown(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/** Throw from a task to fail without retries, whatever the attempts left. */
export class PermanentError extends Error {
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentError";
  }
}
