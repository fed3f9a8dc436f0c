import type {
  BackoffSpec,
  DeadLetter,
  Delivery,
  ErrorInfo,
  JobResult,
  NewJob,
  Settlement,
} from "@platoon/core";

/** What the Lua scripts get for bytes: a Buffer view, never a copy. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** What callers get: a plain Uint8Array over the reply's memory. */
export function toBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

type Reply = Buffer | number | null | Reply[];

export function str(value: Reply | undefined): string {
  if (value === null || value === undefined) return "";
  return typeof value === "number" ? String(value) : value.toString();
}

export function num(value: Reply | undefined): number {
  if (typeof value === "number") return value;
  if (value === null || value === undefined) return 0;
  return Number(value.toString());
}

function optNum(value: Reply | undefined): number | undefined {
  const s = str(value);
  return s === "" ? undefined : Number(s);
}

/** Options the scripts never read travel as one small JSON field (`o`). */
interface PackedOptions {
  b?: BackoffSpec;
  x?: number;
  tr?: string;
}

const NO_OPTS: PackedOptions = {};

function packOptions(job: NewJob): string {
  if (job.backoff === undefined && job.timeoutMs === undefined && job.traceId === undefined)
    return "";
  const o: PackedOptions = {};
  if (job.backoff !== undefined) o.b = job.backoff;
  if (job.timeoutMs !== undefined) o.x = job.timeoutMs;
  if (job.traceId !== undefined) o.tr = job.traceId;
  return JSON.stringify(o);
}

function unpackOptions(value: Reply | undefined): PackedOptions {
  const s = str(value);
  return s === "" ? NO_OPTS : (JSON.parse(s) as PackedOptions);
}

/** The 10 ARGV fields per job that enqueue_jobs reads. */
export function pushJobArgs(out: (string | number | Buffer)[], job: NewJob): void {
  out.push(
    job.id,
    job.task,
    toBuffer(job.payload),
    job.priority === undefined ? "0" : String(Number(job.priority)),
    job.runAt === undefined ? "" : Math.floor(job.runAt),
    job.maxAttempts === undefined ? "" : job.maxAttempts,
    job.resultTtlMs === undefined ? "" : Math.max(0, Math.floor(job.resultTtlMs)),
    job.idempotencyKey ?? "",
    packOptions(job),
    job.createdAt === undefined ? "" : Math.floor(job.createdAt),
  );
}

const KIND: Record<Settlement["kind"], string> = {
  complete: "c",
  retry: "r",
  dead: "d",
  requeue: "q",
};

/** The 5 ARGV fields per settlement that the cycle script reads. */
export function pushSettlementArgs(out: (string | number | Buffer)[], s: Settlement): void {
  let data: string | Buffer = "";
  let runAt: string | number = "";
  switch (s.kind) {
    case "complete":
      data = toBuffer(s.result);
      break;
    case "retry":
      data = JSON.stringify(s.error);
      runAt = Math.floor(s.runAt);
      break;
    case "dead":
      data = JSON.stringify(s.error);
      break;
    case "requeue":
      if (s.runAt !== undefined) runAt = Math.floor(s.runAt);
      break;
  }
  out.push(KIND[s.kind], s.id, s.token, data, runAt);
}

/** 11 fields per delivery, as the cycle script returns them. */
export function decodeDeliveries(queue: string, flat: Reply[], deadline: number): Delivery[] {
  const out: Delivery[] = new Array(flat.length / 11);
  for (let i = 0, j = 0; i < flat.length; i += 11, j++) {
    const o = unpackOptions(flat[i + 9]);
    const d: Delivery = {
      id: str(flat[i]),
      queue,
      task: str(flat[i + 1]),
      payload: toBytes(flat[i + 2] as Buffer),
      priority: num(flat[i + 3]),
      attempt: num(flat[i + 4]),
      createdAt: num(flat[i + 5]),
      readyAt: num(flat[i + 6]),
      token: str(flat[i + 10]),
      leaseDeadline: deadline,
    };
    const maxAttempts = optNum(flat[i + 7]);
    if (maxAttempts !== undefined) d.maxAttempts = maxAttempts;
    const ttl = optNum(flat[i + 8]);
    if (ttl !== undefined) d.resultTtlMs = ttl;
    if (o.b !== undefined) d.backoff = o.b;
    if (o.x !== undefined) d.timeoutMs = o.x;
    if (o.tr !== undefined) d.traceId = o.tr;
    out[j] = d;
  }
  return out;
}

export function parseError(value: Reply | undefined): ErrorInfo {
  const s = str(value);
  try {
    return JSON.parse(s) as ErrorInfo;
  } catch {
    return { name: "Error", message: s };
  }
}

/** A result hash read as [s, v, at]. */
export function decodeResult(fields: Reply[]): JobResult | undefined {
  const [status, value, at] = fields;
  if (status === null || status === undefined) return undefined;
  const settledAt = num(at);
  switch (str(status)) {
    case "c":
      return {
        status: "completed",
        value: toBytes((value as Buffer) ?? Buffer.alloc(0)),
        settledAt,
      };
    case "f":
      return { status: "failed", error: parseError(value), settledAt };
    default:
      return { status: "cancelled", settledAt };
  }
}

/** 8 fields per dead letter: id, t, d, a, m, e, f, o. */
export function decodeDead(queue: string, flat: Reply[]): DeadLetter[] {
  const out: DeadLetter[] = [];
  for (let i = 0; i < flat.length; i += 8) {
    const d: DeadLetter = {
      id: str(flat[i]),
      queue,
      task: str(flat[i + 1]),
      payload: toBytes(flat[i + 2] as Buffer),
      attempt: num(flat[i + 3]),
      error: parseError(flat[i + 5]),
      failedAt: num(flat[i + 6]),
    };
    const maxAttempts = optNum(flat[i + 4]);
    if (maxAttempts !== undefined) d.maxAttempts = maxAttempts;
    const o = unpackOptions(flat[i + 7]);
    if (o.tr !== undefined) d.traceId = o.tr;
    out.push(d);
  }
  return out;
}

export type { Reply };
