import {
  type ChildJobOptions,
  type Codec,
  type ExecuteOutcome,
  startTask,
  type TaskDefinition,
  toErrorInfo,
} from "@platoon/core";
import {
  ABORTABLE,
  CAN_ENQUEUE,
  DISCARD_RESULT,
  type InitMessage,
  memoryUsedMb,
  pack,
  type ResultMeta,
  type TaskMeta,
  type ToWorker,
} from "../wire.ts";
import type { WorkerChannel } from "./channel.ts";
import { loadTasks } from "./load-tasks.ts";

interface Job {
  meta: TaskMeta;
  payload: Uint8Array;
}

const now = () => performance.now();
/** How often a worker with a memory limit measures itself. */
const MEMORY_CHECK_MS = 20;
const later: (fn: () => void) => void =
  typeof setImmediate === "function" ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

/**
 * The worker side of a pool: loads the tasks module, then runs the jobs it is sent.
 * Jobs run in arrival order, `concurrency` at a time; results go back in batches,
 * flushed when a run of synchronous work ends or every `flushMs` of busy time, so the
 * pool learns of progress even while a long batch is running.
 */
export function serveWorker(channel: WorkerChannel): void {
  let runtime: WorkerRuntime | undefined;
  const early: ToWorker[] = [];
  channel.onMessage((message) => {
    if (runtime) return runtime.receive(message);
    if (message.t !== "init") return void early.push(message);
    loadTasks(message).then(
      ({ tasks, codec, manifest }) => {
        runtime = new WorkerRuntime(channel, message, tasks, codec);
        channel.send({ t: "ready", manifest });
        for (const m of early.splice(0)) runtime.receive(m);
      },
      (error) => channel.send({ t: "loadError", error: toErrorInfo(error) }),
    );
  });
}

class WorkerRuntime {
  readonly #channel: WorkerChannel;
  readonly #tasks: Map<string, TaskDefinition>;
  readonly #codec: Codec;
  readonly #concurrency: number;
  readonly #flushMs: number;
  #inbox: Job[] = [];
  #head = 0;
  #running = 0;
  #stopping = false;
  #outMeta: ResultMeta[] = [];
  #outBlobs: Uint8Array[] = [];
  #outBytes = 0;
  #lastFlush = now();
  #pumpScheduled = false;
  #lastMemory = -Infinity;
  readonly #controllers = new Map<number, AbortController>();
  readonly #enqueues = new Map<
    number,
    { resolve: (id: string) => void; reject: (e: Error) => void }
  >();
  #nextEnqueue = 1;

  constructor(
    channel: WorkerChannel,
    init: InitMessage,
    tasks: Map<string, TaskDefinition>,
    codec: Codec,
  ) {
    this.#channel = channel;
    this.#tasks = tasks;
    this.#codec = codec;
    this.#concurrency = init.concurrency;
    this.#flushMs = init.flushMs;
    if (init.memoryReportMs > 0) this.#watchMemory(init.memoryReportMs, init.maxMemoryMb);
  }

  /**
   * Reports memory every `reportMs`, and with a limit also measures it every few ms
   * (microseconds each) and reports at once when over: a task that awaits between
   * allocations is caught within a few ms of passing the limit, whatever `reportMs` is.
   * A timer cannot fire during a synchronous loop; the pool's other guards cover that.
   */
  #watchMemory(reportMs: number, limitMb: number | undefined): void {
    const everyMs = limitMb === undefined ? reportMs : Math.min(reportMs, MEMORY_CHECK_MS);
    let reported = now();
    const timer = setInterval(() => {
      const report = this.#channel.memory();
      const t = now();
      const over = limitMb !== undefined && memoryUsedMb(report) > limitMb;
      if (over || t - reported >= reportMs - everyMs / 2) {
        reported = t;
        this.#channel.send({ t: "memory", ...report });
      }
    }, everyMs);
    (timer as { unref?: () => void }).unref?.();
  }

  receive(message: ToWorker): void {
    switch (message.t) {
      case "run": {
        let offset = 0;
        for (const meta of message.tasks) {
          const length = meta[9];
          this.#inbox.push({ meta, payload: message.blob.subarray(offset, offset + length) });
          offset += length;
        }
        this.#pump();
        return;
      }
      case "abort": {
        const controller = this.#controllers.get(message.seq);
        if (controller) {
          const reason = new Error(message.message);
          reason.name = message.fault;
          controller.abort(reason);
        }
        return;
      }
      case "enqueued": {
        const waiter = this.#enqueues.get(message.id);
        if (!waiter) return;
        this.#enqueues.delete(message.id);
        if (message.jobId !== undefined) waiter.resolve(message.jobId);
        else {
          const error = new Error(message.error?.message ?? "enqueue failed");
          if (message.error) error.name = message.error.name;
          waiter.reject(error);
        }
        return;
      }
      case "stop":
        this.#stopping = true;
        this.#maybeExit();
        return;
      case "init":
        return;
    }
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#head < this.#inbox.length) {
      const job = this.#inbox[this.#head]!;
      this.#inbox[this.#head++] = undefined as unknown as Job;
      this.#start(job);
      if (now() - this.#lastFlush >= this.#flushMs) this.#flush();
    }
    if (this.#head === this.#inbox.length) {
      this.#inbox = [];
      this.#head = 0;
    }
    this.#flush();
    this.#maybeExit();
  }

  #start({ meta, payload }: Job): void {
    const [seq, task, jobId, queue, attempt, maxAttempts, deadline, traceId, flags] = meta;
    let signal: AbortSignal | undefined;
    if (flags & ABORTABLE) {
      const controller = new AbortController();
      this.#controllers.set(seq, controller);
      signal = controller.signal;
    }
    const enqueue =
      flags & CAN_ENQUEUE
        ? (t: string, p: Uint8Array, o?: ChildJobOptions) => this.#enqueue(seq, t, p, o)
        : undefined;
    const request = {
      jobId,
      queue,
      task,
      payload,
      attempt,
      maxAttempts,
      ...(deadline ? { deadline } : {}),
      ...(traceId ? { traceId } : {}),
      ...(flags & DISCARD_RESULT ? { discardResult: true } : {}),
    };
    const started = now();
    this.#running++;
    let out: ExecuteOutcome | undefined;
    try {
      // The callback form: an async task costs one promise reaction, none of our own.
      out = startTask(this.#tasks, this.#codec, request, signal, enqueue, (outcome) =>
        this.#complete(seq, outcome, started, true),
      );
    } catch (error) {
      out = { status: "error", error: toErrorInfo(error) };
    }
    if (out !== undefined) this.#complete(seq, out, started, false);
  }

  #complete(seq: number, outcome: ExecuteOutcome, started: number, async: boolean): void {
    const ms = now() - started;
    this.#running--;
    if (this.#controllers.size > 0) this.#controllers.delete(seq);
    if (outcome.status === "ok") {
      this.#outMeta.push([seq, 0, outcome.result.length, ms]);
      this.#outBlobs.push(outcome.result);
      this.#outBytes += outcome.result.length;
    } else if (outcome.status === "error") {
      this.#outMeta.push(
        outcome.retryDelayMs === undefined
          ? [seq, 1, outcome.error, ms]
          : [seq, 1, outcome.error, ms, outcome.retryDelayMs],
      );
    } else {
      this.#outMeta.push([seq, 2, outcome.action, ms]);
    }
    if (async && !this.#pumpScheduled) {
      // Async tasks finish in microtasks; one macrotask later they all ride one message.
      this.#pumpScheduled = true;
      later(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
  }

  #flush(): void {
    this.#lastFlush = now();
    if (this.#outMeta.length === 0) return;
    const blob = pack(this.#outBlobs, this.#outBytes);
    const results = this.#outMeta;
    this.#outMeta = [];
    this.#outBlobs = [];
    this.#outBytes = 0;
    // Measuring memory costs microseconds: often enough for limits, not per tiny batch.
    const t = now();
    if (t - this.#lastMemory >= 50) {
      this.#lastMemory = t;
      this.#channel.send({ t: "done", results, blob, ...this.#channel.memory() });
    } else {
      this.#channel.send({ t: "done", results, blob });
    }
  }

  #enqueue(seq: number, task: string, payload: Uint8Array, options?: ChildJobOptions) {
    const id = this.#nextEnqueue++;
    return new Promise<string>((resolve, reject) => {
      this.#enqueues.set(id, { resolve, reject });
      const copy = payload.slice();
      this.#channel.send({
        t: "enqueue",
        id,
        seq,
        task,
        blob: copy,
        ...(options ? { options } : {}),
      });
    });
  }

  #maybeExit(): void {
    if (this.#stopping && this.#running === 0 && this.#head === this.#inbox.length) {
      this.#flush();
      this.#channel.exit();
    }
  }
}
