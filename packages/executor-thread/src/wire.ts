import type { CodecSpec, ErrorInfo, TaskAction, TaskManifest } from "@platoon/core";

/**
 * The messages between a pool and its workers. Plain data plus at most one binary
 * `blob`, so the same shapes travel over postMessage (blob transferred) and over a
 * child process's pipe (blob appended to a length-prefixed frame).
 */

/** Bits of TaskMeta[8]. */
export const ABORTABLE = 1;
export const CAN_ENQUEUE = 2;
/** The job's result is read by nobody (ExecuteRequest.discardResult): do not encode it. */
export const DISCARD_RESULT = 4;

/**
 * One job of a batch, as a tuple because a batch carries thousands of them:
 * [seq, task, jobId, queue, attempt, maxAttempts, deadline (0 = none), traceId ("" = none),
 * flags, payload length]. Payloads are concatenated, in order, in the message's blob.
 */
export type TaskMeta = [
  seq: number,
  task: string,
  jobId: string,
  queue: string,
  attempt: number,
  maxAttempts: number,
  deadline: number,
  traceId: string,
  flags: number,
  length: number,
];

/** [seq, 0, result length, ms] | [seq, 1, error, ms, retryDelayMs?] | [seq, 2, action, ms]. */
export type ResultMeta =
  | [seq: number, kind: 0, length: number, ms: number]
  | [seq: number, kind: 1, error: ErrorInfo, ms: number, retryDelayMs?: number]
  | [seq: number, kind: 2, action: TaskAction, ms: number];

export interface InitHookSpec {
  /** Module whose export is called; default: the tasks module. */
  module?: string;
  /** Export name; default "init". */
  export?: string;
  data?: unknown;
}

export interface InitMessage {
  t: "init";
  workerId: number;
  tasksModule: string;
  codecSpec: CodecSpec;
  concurrency: number;
  flushMs: number;
  /** Report memory on a timer (0 = only with results). */
  memoryReportMs: number;
  /**
   * The pool's limit: the worker measures itself against it every few ms while its event
   * loop turns, and reports at once when over it.
   */
  maxMemoryMb?: number;
  /** Import this tsx API URL and register it before importing a .ts tasks module. */
  tsxApi?: string;
  init?: InitHookSpec;
}

export type ToWorker =
  | InitMessage
  | { t: "run"; tasks: TaskMeta[]; blob: Uint8Array }
  | { t: "abort"; seq: number; fault: "Aborted" | "TaskTimedOut"; message: string }
  | { t: "enqueued"; id: number; jobId?: string; error?: ErrorInfo }
  | { t: "stop" };

export interface MemoryReport {
  /** The worker's JavaScript memory: V8/JSC heap plus external (ArrayBuffer) memory. */
  heapMb?: number;
  /** The process's resident set (child processes only: a thread shares its process's). */
  rssMb?: number;
}

/** What counts against maxMemoryMb. */
export function memoryUsedMb(report: MemoryReport): number {
  return Math.max(report.heapMb ?? 0, report.rssMb ?? 0);
}

export type FromWorker =
  | { t: "ready"; manifest: TaskManifest }
  | { t: "loadError"; error: ErrorInfo }
  | ({ t: "done"; results: ResultMeta[]; blob: Uint8Array } & MemoryReport)
  | ({ t: "memory" } & MemoryReport)
  | {
      t: "enqueue";
      id: number;
      seq: number;
      task: string;
      blob: Uint8Array;
      options?: { queue?: string; priority?: number; delayMs?: number; maxAttempts?: number };
    };

/** Concatenates payloads into one buffer, so a batch moves as a single transfer. */
export function pack(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
