import type {
  BackoffSpec,
  DeadLetter,
  Delivery,
  ErrorInfo,
  JobResult,
  NewJob,
  Settlement,
} from "@platoon/core";
import { Packer, packedRanges } from "./pack.ts";

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

/** A stored job's header JSON (l and k first: Lua finds them with a prefix match). */
function headerText(job: NewJob, now: number): string {
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
  return JSON.stringify(h);
}

/** True when two jobs get the same header (the usual case within one batch). */
function sameHeader(a: NewJob, b: NewJob): boolean {
  return (
    a.task === b.task &&
    a.createdAt === b.createdAt &&
    a.resultTtlMs === b.resultTtlMs &&
    a.idempotencyKey === b.idempotencyKey &&
    a.priority === b.priority &&
    a.maxAttempts === b.maxAttempts &&
    a.backoff === b.backoff &&
    a.timeoutMs === b.timeoutMs &&
    a.traceId === b.traceId
  );
}

/**
 * The jobs packed as enqueue_jobs reads them, 5 fields per job: id, the job's stored
 * string (header JSON, newline, payload), priority, runAt, idempotency key.
 */
export function packJobs(jobs: NewJob[], now: number): Buffer {
  let size = 64;
  for (const job of jobs) size += job.payload.byteLength + job.id.length + 112;
  const p = new Packer(size);
  let last: NewJob | undefined;
  let head = "";
  for (const job of jobs) {
    if (last === undefined || !sameHeader(job, last)) head = headerText(job, now);
    last = job;
    p.str(job.id);
    p.record(head, job.payload);
    p.str(job.priority === undefined || job.priority === 0 ? "0" : String(Number(job.priority)));
    p.str(job.runAt === undefined ? "" : String(Math.floor(job.runAt)));
    p.str(job.idempotencyKey ?? "");
  }
  return p.finish();
}

function unpackJob(body: Buffer): { h: Header; payload: Uint8Array } {
  const nl = body.indexOf(NEWLINE);
  return {
    h: JSON.parse(body.toString("utf8", 0, nl)) as Header,
    payload: new Uint8Array(body.buffer, body.byteOffset + nl + 1, body.byteLength - nl - 1),
  };
}

/** What getJob needs from a stored job. */
export function jobHeader(body: Buffer): Header {
  return unpackJob(body).h;
}

/**
 * Settlements as the cycle script reads them. Completions go in one packed argument (see
 * pack.ts), grouped by lease batch (the nonce their tokens start with): their count k,
 * whether result bytes follow (1/0), their k lease flags as one string, the group count
 * g, g (nonce, count) pairs, the k job ids in group order, then k results when they do. A
 * token that cannot be this job's lease (another id's, or not one of ours) goes in a
 * group with an empty nonce, and is refused. Results of jobs that keep none
 * (resultTtlMs 0: see `keepsNoResult`) are not sent. The rest go as plain arguments, 5
 * each: kind (r|d|q), id, token ('' for one that cannot be a lease), error JSON, runAt
 * ('' = absent). `order` gives the settlements' indexes in the order the script answers
 * (completions first, in group order).
 */
export function packSettlements(settlements: Settlement[]): {
  completions: Buffer | "";
  others: (string | number)[];
  order: number[];
} {
  const others: (string | number)[] = [];
  // Usually one or two batches: the reserves whose jobs finished since the last settle.
  const groups = new Map<string, number[]>();
  let bytes = 32;
  let withResults = false;
  let k = 0;
  for (let i = 0; i < settlements.length; i++) {
    const s = settlements[i]!;
    if (s.kind !== "complete") continue;
    k++;
    const nonce = isLeaseOf(s.id, s.token) ? s.token.slice(0, NONCE_LENGTH) : "";
    const group = groups.get(nonce);
    if (group) group.push(i);
    else groups.set(nonce, [i]);
    bytes += s.id.length + 6 + s.result.byteLength;
    if (!withResults && s.result.byteLength > 0 && !keepsNoResult(s.token)) withResults = true;
  }
  const order: number[] = [];
  let completions: Buffer | "" = "";
  if (k > 0) {
    let flags = "";
    for (const [nonce, group] of groups) {
      for (const i of group) {
        order.push(i);
        flags += nonce === "" ? "." : settlements[i]!.token.charAt(NONCE_LENGTH);
      }
    }
    const p = new Packer(bytes + 24 * groups.size + 64);
    p.int(k);
    p.int(withResults ? 1 : 0);
    p.str(flags);
    p.int(groups.size);
    for (const [nonce, group] of groups) {
      p.str(nonce);
      p.int(group.length);
    }
    for (let j = 0; j < k; j++) p.str(settlements[order[j]!]!.id);
    if (withResults) {
      for (let j = 0; j < k; j++) {
        const s = settlements[order[j]!] as Settlement & { kind: "complete" };
        if (keepsNoResult(s.token)) p.str("");
        else p.bytes(s.result);
      }
    }
    completions = p.finish();
  }
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
    others.push(
      s.kind === "retry" ? "r" : s.kind === "dead" ? "d" : "q",
      s.id,
      isLeaseOf(s.id, s.token) ? s.token : "",
      data,
      runAt,
    );
    order.push(i);
  }
  return { completions, others, order };
}

/**
 * A lease token is the reserve call's nonce (16 characters: the lease batch), one flag
 * character, then the job id; a settle or extend finds the batch from the nonce and checks
 * the id is still in it.
 * The flag says what a settle needs of the job: "." its result is kept for the default
 * ttl, "~" it keeps no result (resultTtlMs 0: the settle sends no result bytes), "!" Redis
 * reads the job's header (a ttl of its own or an idempotency key).
 */
export const NONCE_LENGTH = 16;
const NO_RESULT = 126; // "~"

export function keepsNoResult(token: string): boolean {
  return token.length > NONCE_LENGTH && token.charCodeAt(NONCE_LENGTH) === NO_RESULT;
}

/** True when the token can be this job's lease: a nonce and a flag, then its id. */
export function isLeaseOf(id: string, token: string): boolean {
  return token.length === id.length + NONCE_LENGTH + 1 && token.endsWith(id);
}

/**
 * Deliveries as the cycle script returns them: one packed array (the lease flags as one
 * string, then (job id, body) pairs; each token is the nonce, the flag and the id), plus
 * (index, attempt, readyAt) triples for the few whose attempt is not 1 or whose readyAt
 * is not createdAt.
 */
export function decodeDeliveries(
  queue: string,
  packed: Buffer,
  extras: Reply[],
  deadline: number,
  defaultTtl: number,
  nonce: string,
): Delivery[] {
  const r = packedRanges(packed);
  const n = (r.length - 2) >>> 2;
  const flagsAt = r[0]!;
  // Token prefixes, built once: every token is one of them and its job's id.
  const prefixes = new Map<number, string>();
  const prefix = (flag: number) => {
    let p = prefixes.get(flag);
    if (p === undefined) {
      p = nonce + String.fromCharCode(flag);
      prefixes.set(flag, p);
    }
    return p;
  };
  const out: Delivery[] = new Array(n);
  // Payloads are plain Uint8Array views (not Buffers) of the one reply.
  const bytes = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
  // The jobs of one enqueue batch share their header bytes: parse them once.
  let headStart = 0;
  let headEnd = -1; // none yet
  let h = {} as Header;
  for (let j = 0; j < n; j++) {
    const k = 2 + (j << 2);
    const bodyStart = r[k + 2]!;
    const bodyEnd = r[k + 3]!;
    const id = packed.toString("utf8", r[k]!, r[k + 1]!);
    const token = prefix(packed[flagsAt + j]!) + id;
    // Same header as the job before (a newline where its header ended, same bytes before
    // it)? Then no search and no parse.
    let nl = bodyStart + headEnd - headStart;
    const same =
      headEnd >= 0 &&
      nl < bodyEnd &&
      bytes[nl] === NEWLINE &&
      sameBytes(bytes, headStart, bodyStart, nl);
    if (!same) {
      nl = packed.indexOf(NEWLINE, bodyStart);
      if (nl < 0 || nl >= bodyEnd) throw new Error(`job ${id} in ${queue}: corrupt stored record`);
      h = JSON.parse(packed.toString("utf8", bodyStart, nl)) as Header;
      headStart = bodyStart;
      headEnd = nl;
    }
    const d: Delivery = {
      id,
      queue,
      task: h.t,
      payload: bytes.subarray(nl + 1, bodyEnd),
      priority: h.p === undefined ? 0 : Number(h.p),
      attempt: 1,
      createdAt: h.c,
      readyAt: h.c,
      token,
      leaseDeadline: deadline,
    };
    if (h.m !== undefined) d.maxAttempts = h.m;
    if (h.l !== undefined) d.resultTtlMs = h.l;
    // No result kept means none is read either (waiters read the stored result).
    if ((h.l ?? defaultTtl) <= 0) d.discardResult = true;
    if (h.b !== undefined) d.backoff = { ...h.b };
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

/** The bytes from aStart and from bStart, up to bEnd, are equal. */
function sameBytes(b: Uint8Array, aStart: number, bStart: number, bEnd: number): boolean {
  for (let i = bEnd - bStart - 1; i >= 0; i--) if (b[aStart + i] !== b[bStart + i]) return false;
  return true;
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
