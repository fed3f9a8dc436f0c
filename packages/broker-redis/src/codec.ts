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

/**
 * The header of a stored job (JSON, then a newline, then the payload bytes). Short keys keep
 * a waiting job small. `p` is a string so Lua names the priority's list exactly as we do.
 */
interface Header {
  l?: number;
  k?: string;
  t: string;
  c: number;
  p?: string;
  m?: number;
  b?: BackoffSpec;
  x?: number;
  tr?: string;
}

const NEWLINE = 10;

/** One job as its immutable stored string: header JSON, newline, payload. */
export function packJob(job: NewJob, now: number): Buffer {
  // l and k first: Lua finds them with a prefix match (see meta_from_body).
  const h: Header = {} as Header;
  if (job.resultTtlMs !== undefined) h.l = Math.max(0, Math.floor(job.resultTtlMs));
  if (job.idempotencyKey !== undefined) h.k = job.idempotencyKey;
  h.t = job.task;
  h.c = job.createdAt ?? now;
  if (job.priority !== undefined && job.priority !== 0) h.p = String(Number(job.priority));
  if (job.maxAttempts !== undefined) h.m = job.maxAttempts;
  if (job.backoff !== undefined) h.b = job.backoff;
  if (job.timeoutMs !== undefined) h.x = job.timeoutMs;
  if (job.traceId !== undefined) h.tr = job.traceId;
  const head = JSON.stringify(h);
  const headLen = Buffer.byteLength(head);
  const body = Buffer.allocUnsafe(headLen + 1 + job.payload.byteLength);
  body.write(head, 0, "utf8");
  body[headLen] = NEWLINE;
  body.set(job.payload, headLen + 1);
  return body;
}

function unpackJob(body: Buffer): { h: Header; payload: Uint8Array } {
  const nl = body.indexOf(NEWLINE);
  return {
    h: JSON.parse(body.toString("utf8", 0, nl)) as Header,
    payload: new Uint8Array(body.buffer, body.byteOffset + nl + 1, body.byteLength - nl - 1),
  };
}

/** The 5 ARGV fields per job that enqueue_jobs reads. */
export function pushJobArgs(out: (string | number | Buffer)[], job: NewJob, now: number): void {
  out.push(
    job.id,
    packJob(job, now),
    job.priority === undefined || job.priority === 0 ? "0" : String(Number(job.priority)),
    job.runAt === undefined ? "" : Math.floor(job.runAt),
    job.idempotencyKey ?? "",
  );
}

/** What getJob needs from a stored job. */
export function jobHeader(body: Buffer): Header {
  return unpackJob(body).h;
}

/**
 * Settlements as the cycle script reads them: completions (3 fields: id, token, result),
 * then the rest (5 fields: kind, id, token, error JSON, runAt). Returns the order in which
 * the script answers, as indexes into `settlements`.
 */
export function pushSettlementArgs(
  out: (string | number | Buffer)[],
  settlements: Settlement[],
): { order: number[]; completions: number; others: number } {
  const order: number[] = [];
  const rest: (string | number | Buffer)[] = [];
  for (let i = 0; i < settlements.length; i++) {
    const s = settlements[i]!;
    if (s.kind === "complete") {
      // An empty result as "" keeps ioredis on its faster all-string path.
      out.push(s.id, nonceOf(s.token), s.result.byteLength === 0 ? "" : toBuffer(s.result));
      order.push(i);
    }
  }
  const completions = order.length;
  for (let i = 0; i < settlements.length; i++) {
    const s = settlements[i]!;
    if (s.kind === "complete") continue;
    let data = "";
    let runAt: string | number = "";
    if (s.kind === "retry") {
      data = JSON.stringify(s.error);
      runAt = Math.floor(s.runAt);
    } else if (s.kind === "dead") {
      data = JSON.stringify(s.error);
    } else if (s.runAt !== undefined) {
      runAt = Math.floor(s.runAt);
    }
    rest.push(
      s.kind === "retry" ? "r" : s.kind === "dead" ? "d" : "q",
      s.id,
      nonceOf(s.token),
      data,
      runAt,
    );
    order.push(i);
  }
  for (const a of rest) out.push(a);
  return { order, completions, others: order.length - completions };
}

/**
 * A lease token is the reserve call's nonce (what Redis stores and checks) followed by the
 * job id, so every delivery's token differs; only the nonce goes back to Redis.
 */
export const NONCE_LENGTH = 16;

export function nonceOf(token: string): string {
  return token.length > NONCE_LENGTH ? token.slice(0, NONCE_LENGTH) : token;
}

/**
 * Deliveries as the cycle script returns them: id, body pairs, plus (index, attempt,
 * readyAt) triples for the few whose attempt is not 1 or whose readyAt is not createdAt.
 */
export function decodeDeliveries(
  queue: string,
  flat: Reply[],
  extras: Reply[],
  deadline: number,
  nonce: string,
): Delivery[] {
  const out: Delivery[] = new Array(flat.length / 2);
  for (let i = 0, j = 0; i < flat.length; i += 2, j++) {
    const { h, payload } = unpackJob(flat[i + 1] as Buffer);
    const id = str(flat[i]);
    const d: Delivery = {
      id,
      queue,
      task: h.t,
      payload,
      priority: h.p === undefined ? 0 : Number(h.p),
      attempt: 1,
      createdAt: h.c,
      readyAt: h.c,
      token: nonce + id,
      leaseDeadline: deadline,
    };
    if (h.m !== undefined) d.maxAttempts = h.m;
    if (h.l !== undefined) d.resultTtlMs = h.l;
    if (h.b !== undefined) d.backoff = h.b;
    if (h.x !== undefined) d.timeoutMs = h.x;
    if (h.tr !== undefined) d.traceId = h.tr;
    out[j] = d;
  }
  for (let i = 0; i < extras.length; i += 3) {
    const d = out[num(extras[i]) - 1]!;
    d.attempt = num(extras[i + 1]);
    const ready = str(extras[i + 2]);
    if (ready !== "") d.readyAt = Number(ready);
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

/** A stored result: '<status><settledAt>|<value>'. */
export function decodeResult(packed: Buffer | null): JobResult | undefined {
  if (!packed) return undefined;
  const bar = packed.indexOf(124); // "|"
  const status = String.fromCharCode(packed[0]!);
  const settledAt = Number(packed.toString("latin1", 1, bar));
  switch (status) {
    case "c":
      return { status: "completed", value: toBytes(packed.subarray(bar + 1)), settledAt };
    case "f":
      return { status: "failed", error: parseError(packed.subarray(bar + 1)), settledAt };
    default:
      return { status: "cancelled", settledAt };
  }
}

/** 5 fields per dead letter: id, body, attempt, error, failedAt. */
export function decodeDead(queue: string, flat: Reply[]): DeadLetter[] {
  const out: DeadLetter[] = [];
  for (let i = 0; i < flat.length; i += 5) {
    const { h, payload } = unpackJob(flat[i + 1] as Buffer);
    const d: DeadLetter = {
      id: str(flat[i]),
      queue,
      task: h.t,
      payload,
      attempt: num(flat[i + 2]),
      error: parseError(flat[i + 3]),
      failedAt: num(flat[i + 4]),
    };
    if (h.m !== undefined) d.maxAttempts = h.m;
    if (h.tr !== undefined) d.traceId = h.tr;
    out.push(d);
  }
  return out;
}

export type { Reply };
