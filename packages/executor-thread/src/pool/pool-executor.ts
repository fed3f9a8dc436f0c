import {
  type ExecuteOutcome,
  type ExecuteRequest,
  type Executor,
  type ExecutorStartOptions,
  type ExecutorStats,
  PlatoonError,
  type TaskManifest,
} from "@platoon/core";
import { toImportSpecifier } from "../module-specifier.ts";
import {
  ABORTABLE,
  CAN_ENQUEUE,
  DISCARD_RESULT,
  type FromWorker,
  type InitMessage,
  memoryUsedMb,
  pack,
  type TaskMeta,
} from "../wire.ts";
import { Deque } from "./deque.ts";
import type { Entry } from "./entry.ts";
import { fault } from "./faults.ts";
import { type KillCause, Slot } from "./slot.ts";
import type { ExitInfo, Transport, WorkerHandle } from "./transport.ts";

export interface PoolOptions {
  /** Workers in the pool. Default: the machine's available parallelism. */
  size?: number;
  /** Tasks one worker runs at once (async tasks overlap; sync ones queue). Default 1. */
  concurrentTasksPerWorker?: number;
  /**
   * Most jobs sent to one worker ahead of its replies. The pool sends about 2 ms of work
   * ahead (many tiny jobs, one long one), never more than this. Default 256.
   */
  maxPrefetchPerWorker?: number;
  /** Most jobs in one message to a worker. Default 64. */
  maxBatchSize?: number;
  /** A worker whose memory passes this is replaced; a task running then gets MemoryLimitExceeded. */
  maxMemoryMb?: number;
  /** Replace a worker after this many tasks (for leaks you cannot fix). */
  maxTasksPerWorker?: number;
  /** How often memory is measured while tasks run. Default 250 ms. */
  memoryCheckIntervalMs?: number;
  /**
   * At its deadline a task's outcome is TaskTimedOut at once and its ctx.signal aborts; if
   * it is still running this much later (a synchronous loop), its worker is killed.
   * Default 100 ms.
   */
  timeoutGraceMs?: number;
  /** How long an aborted task may keep running (its ctx.signal aborted) before its worker is killed. Default 1000 ms. */
  abortGraceMs?: number;
  /** A graceful close() turns forced after this long. Default 30 s. */
  closeTimeoutMs?: number;
  /** First delay before respawning a worker that keeps dying at start; doubles up to maxRespawnDelayMs. Default 100 ms. */
  respawnDelayMs?: number;
  maxRespawnDelayMs?: number;
  /**
   * Runs once in each new worker before it takes jobs: the `export` (default "init") of
   * `module` (default: the tasks module), called with `data` (structured-cloneable for
   * threads, JSON for processes) and `{ workerId }`.
   */
  init?: { module?: string | URL; export?: string; data?: unknown };
}

/** Options a transport adds to the init message (memory timer, tsx). */
export interface PoolInitExtras {
  tsxApi?: string;
}

const FLUSH_MS = 4;

/**
 * An Executor over a pool of supervised workers, whatever they are (threads, child
 * processes): queueing, batching, prefetch, deadlines, cancellation, replacement of dead
 * or bloated workers, stats. Every accepted request settles exactly once.
 */
export class PoolExecutor implements Executor {
  readonly kind: string;
  readonly capacity: number;
  readonly #transport: Transport;
  readonly #size: number;
  readonly #concurrency: number;
  readonly #maxPrefetch: number;
  readonly #maxBatch: number;
  readonly #options: PoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue = new Deque<Entry>();
  /** Jobs that were in flight on a worker that died, waiting to run again alone. */
  readonly #suspects = new Deque<Entry>();
  /** Queued entries not yet settled (both queues), and how many of them are suspects. */
  #queuedLive = 0;
  #suspectsQueued = 0;
  #seq = 0;
  #init: InitMessage | undefined;
  #tasksModule = "";
  #manifest: TaskManifest | undefined;
  #starting:
    | { resolve: (m: TaskManifest) => void; reject: (e: Error) => void; waiting: number }
    | undefined;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #dispatchScheduled = false;
  #drained: (() => void) | undefined;

  constructor(transport: Transport, options: PoolOptions = {}, defaultSize = 1) {
    this.#transport = transport;
    this.kind = transport.kind;
    this.#options = options;
    this.#size = positive(options.size, defaultSize, "size");
    this.#concurrency = positive(options.concurrentTasksPerWorker, 1, "concurrentTasksPerWorker");
    this.#maxPrefetch = Math.max(
      this.#concurrency,
      positive(options.maxPrefetchPerWorker, 256, "maxPrefetchPerWorker"),
    );
    this.#maxBatch = positive(options.maxBatchSize, 64, "maxBatchSize");
    this.capacity = this.#size * this.#concurrency;
  }

  /** Subclasses add transport-specific init fields (the tsx API URL for threads). */
  protected initExtras(_tasksModule: string): PoolInitExtras {
    return {};
  }

  async start(options: ExecutorStartOptions): Promise<TaskManifest> {
    if (this.#started) throw new PlatoonError("EXECUTOR", `${this.kind} executor started twice`);
    this.#started = true;
    const { tasksModule } = options;
    if (typeof tasksModule !== "string" && !(tasksModule instanceof URL)) {
      throw new PlatoonError(
        "EXECUTOR",
        `the ${this.kind} executor needs the tasks module as a path or URL it can import in each worker, not a loaded module object`,
      );
    }
    this.#tasksModule = toImportSpecifier(tasksModule);
    const init = this.#options.init;
    this.#init = {
      t: "init",
      workerId: 0,
      tasksModule: this.#tasksModule,
      codecSpec: options.codecSpec,
      concurrency: this.#concurrency,
      flushMs: FLUSH_MS,
      memoryReportMs:
        this.#options.maxMemoryMb === undefined ? 0 : (this.#options.memoryCheckIntervalMs ?? 250),
      ...(this.#options.maxMemoryMb === undefined
        ? {}
        : { maxMemoryMb: this.#options.maxMemoryMb }),
      ...this.initExtras(this.#tasksModule),
      ...(init
        ? {
            init: {
              ...(init.module === undefined ? {} : { module: toImportSpecifier(init.module) }),
              ...(init.export === undefined ? {} : { export: init.export }),
              data: init.data,
            },
          }
        : {}),
    };
    const manifest = new Promise<TaskManifest>((resolve, reject) => {
      this.#starting = { resolve, reject, waiting: this.#size };
    });
    for (let id = 1; id <= this.#size; id++) {
      const slot = new Slot(id);
      this.#slots.push(slot);
      this.#spawn(slot);
    }
    return manifest;
  }

  execute(request: ExecuteRequest): Promise<ExecuteOutcome> {
    if (!this.#started) return Promise.reject(this.#notStarted());
    return new Promise<ExecuteOutcome>((resolve) => {
      const now = this.run(request, resolve);
      if (now !== undefined) resolve(now);
    });
  }

  /** execute() with a callback: the worker's path, no promise per job. */
  run(
    request: ExecuteRequest,
    done: (outcome: ExecuteOutcome) => void,
  ): ExecuteOutcome | undefined {
    if (!this.#started) throw this.#notStarted();
    if (this.#closed) return fault("Aborted", "executor is closed");
    const signal = request.signal;
    if (signal?.aborted) return fault("Aborted", "cancelled before it started");
    if (request.deadline !== undefined && request.deadline <= Date.now()) {
      return fault("TaskTimedOut", `task ${request.task} passed its deadline before it started`);
    }
    const entry: Entry = {
      seq: ++this.#seq,
      request,
      resolve: done,
      done: false,
      queued: true,
      slot: undefined,
    };
    if (request.deadline !== undefined) {
      entry.timer = setTimeout(() => this.#onDeadline(entry), request.deadline - Date.now());
    }
    if (signal) {
      entry.onAbort = () => this.#onAbort(entry);
      signal.addEventListener("abort", entry.onAbort, { once: true });
    }
    this.#queue.push(entry);
    this.#queuedLive++;
    // Dispatch happens on a microtask, so `done` is never called before this returns.
    this.#scheduleDispatch();
    return undefined;
  }

  #notStarted(): PlatoonError {
    return new PlatoonError("EXECUTOR", `${this.kind} executor: used before start()`);
  }

  stats(): ExecutorStats {
    return {
      kind: this.kind,
      queued: this.#queuedLive,
      workers: this.#slots.map((slot) => slot.stats()),
    };
  }

  close(options: { graceful?: boolean } = {}): Promise<void> {
    this.#closing ??= this.#close(options.graceful ?? false);
    return this.#closing;
  }

  async #close(graceful: boolean): Promise<void> {
    this.#closed = true;
    for (const entry of [...this.#suspects.drain(), ...this.#queue.drain()]) {
      if (!entry.done)
        this.#settle(entry, fault("Aborted", "executor closed before the task started"));
    }
    for (const slot of this.#slots) {
      clearTimeout(slot.respawnTimer);
      slot.respawnTimer = undefined;
    }
    if (graceful && this.#inFlightCount() > 0) {
      const timeoutMs = this.#options.closeTimeoutMs ?? 30_000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#drained = undefined;
    }
    for (const slot of this.#slots) {
      for (const entry of slot.inFlight.values()) {
        if (!entry.done) {
          this.#settle(entry, fault("Aborted", "executor closed before the task finished"));
        }
      }
      if (slot.handle) {
        if (graceful && slot.inFlight.size === 0) this.#stopWorker(slot, "close");
        else this.#kill(slot, "close");
      } else {
        slot.state = "stopped";
      }
    }
    // A worker that will not die must not hang close(): wait a bounded time.
    await Promise.race([
      Promise.all(this.#slots.map((slot) => slot.exited)),
      new Promise((resolve) => setTimeout(resolve, 10_000).unref?.()),
    ]);
  }

  #spawn(slot: Slot): void {
    slot.state = "starting";
    slot.retiring = false;
    slot.killCause = undefined;
    slot.tasksThisWorker = 0;
    slot.exited = new Promise<void>((resolve) => {
      slot.markExited = resolve;
    });
    let handle: WorkerHandle | undefined;
    handle = this.#transport.spawn(
      { ...(this.#init as InitMessage), workerId: slot.id },
      {
        message: (message) => {
          if (handle && slot.handle === handle) this.#onMessage(slot, handle, message);
        },
        exit: (info) => {
          if (handle && slot.handle === handle) this.#onExit(slot, info);
        },
        rss: (mb) => {
          if (handle && slot.handle === handle) {
            slot.rssMb = mb;
            this.#checkMemory(slot, true);
          }
        },
      },
    );
    slot.handle = handle;
  }

  #onMessage(slot: Slot, handle: WorkerHandle, message: FromWorker): void {
    switch (message.t) {
      case "done":
        this.#onResults(slot, message);
        return;
      case "memory":
        this.#noteMemory(slot, message);
        this.#checkMemory(slot, true);
        return;
      case "ready":
        slot.state = "ready";
        this.#manifest ??= message.manifest;
        if (this.#starting && --this.#starting.waiting === 0) {
          this.#starting.resolve(message.manifest);
          this.#starting = undefined;
        }
        if (this.#closed) this.#kill(slot, "close");
        else this.#scheduleDispatch();
        return;
      case "loadError":
        this.#onLoadError(slot, message.error);
        return;
      case "enqueue":
        this.#forwardEnqueue(slot, handle, message);
        return;
    }
  }

  #onLoadError(slot: Slot, info: { name: string; message: string; stack?: string }): void {
    if (this.#starting) {
      const cause = Object.assign(new Error(info.message), info);
      this.#failStart(
        new PlatoonError(
          "EXECUTOR",
          `the tasks module ${this.#tasksModule} failed to load in a ${this.kind} worker: ${info.message}`,
          { cause },
        ),
      );
      return;
    }
    // Loaded once, fails now (the file changed?): a crash, respawned with backoff.
    this.#kill(slot, "loadFailed");
  }

  #failStart(error: Error): void {
    const starting = this.#starting;
    this.#starting = undefined;
    starting?.reject(error);
    void this.close();
  }

  #forwardEnqueue(
    slot: Slot,
    handle: WorkerHandle,
    message: Extract<FromWorker, { t: "enqueue" }>,
  ): void {
    const reply = (answer: { jobId?: string; error?: { name: string; message: string } }) => {
      if (slot.handle === handle) handle.send({ t: "enqueued", id: message.id, ...answer });
    };
    const entry = slot.inFlight.get(message.seq);
    const enqueue = entry && !entry.done ? entry.request.enqueue : undefined;
    if (!enqueue) {
      reply({ error: { name: "Error", message: "the job that enqueued has ended" } });
      return;
    }
    enqueue(message.task, message.blob, message.options).then(
      (jobId) => reply({ jobId }),
      (error: unknown) =>
        reply({
          error: {
            name: (error as Error)?.name ?? "Error",
            message: (error as Error)?.message ?? String(error),
          },
        }),
    );
  }

  #onResults(slot: Slot, message: Extract<FromWorker, { t: "done" }>): void {
    const { results, blob } = message;
    let offset = 0;
    for (const r of results) {
      let outcome: ExecuteOutcome;
      if (r[1] === 0) {
        outcome = { status: "ok", result: blob.subarray(offset, offset + r[2]) };
        offset += r[2];
      } else if (r[1] === 1) {
        outcome =
          r[4] === undefined
            ? { status: "error", error: r[2] }
            : { status: "error", error: r[2], retryDelayMs: r[4] };
      } else {
        outcome = { status: "action", action: r[2] };
      }
      const entry = slot.inFlight.get(r[0]);
      if (!entry) continue;
      slot.inFlight.delete(r[0]);
      slot.record(r[3], r[1] === 1);
      slot.consecutiveFailedStarts = 0;
      if (entry.done) clearTimeout(entry.graceTimer);
      else this.#settle(entry, outcome);
    }
    this.#noteMemory(slot, message);
    const max = this.#options.maxTasksPerWorker;
    if (max !== undefined && slot.tasksThisWorker >= max) this.#retire(slot);
    this.#checkMemory(slot, false);
    if (slot.retiring && slot.inFlight.size === 0 && !slot.killCause) {
      this.#stopWorker(slot, "recycle");
    }
    this.#afterProgress();
  }

  #noteMemory(slot: Slot, report: { heapMb?: number; rssMb?: number }): void {
    if (report.heapMb !== undefined) slot.heapMb = report.heapMb;
    if (report.rssMb !== undefined) slot.rssMb = report.rssMb;
  }

  /**
   * Over the limit while a task runs (a timer report or an outside measurement): kill it,
   * the task gets MemoryLimitExceeded. Over it right after tasks finished: replace the
   * worker once its in-flight jobs are done.
   */
  #checkMemory(slot: Slot, live: boolean): void {
    const max = this.#options.maxMemoryMb;
    if (max === undefined || slot.killCause || slot.state !== "ready") return;
    const used = memoryUsedMb(slot);
    if (used <= max) return;
    const running = [...slot.inFlight.values()].some((e) => !e.done);
    if (live && running) {
      slot.counts.memoryKills++;
      this.#kill(slot, "memory");
    } else if (!slot.retiring) {
      slot.counts.memoryKills++;
      this.#retire(slot);
      if (slot.inFlight.size === 0) this.#stopWorker(slot, "recycle");
    }
  }

  #retire(slot: Slot): void {
    slot.retiring = true;
  }

  #onExit(slot: Slot, info: ExitInfo): void {
    const cause = slot.killCause;
    slot.handle = undefined;
    slot.killCause = undefined;
    clearTimeout(slot.stopTimer);
    slot.markExited();
    const entries = [...slot.inFlight.values()];
    slot.inFlight.clear();
    const startFailed = this.#starting !== undefined && slot.state === "starting";
    slot.state = "starting";
    for (const entry of entries) clearTimeout(entry.graceTimer);
    const live = entries.filter((e) => !e.done);

    if (cause === "timeout" || cause === "abort" || cause === "recycle") {
      // The pool killed this worker for one job, already settled; the others did
      // nothing wrong and run again elsewhere.
      for (let i = live.length - 1; i >= 0; i--) this.#requeue(live[i]!);
    } else if (cause === "close") {
      for (const entry of live) this.#settle(entry, fault("Aborted", "executor closed"));
    } else {
      const memory = cause === "memory" || info.outOfMemory === true;
      if (!memory) slot.counts.crashes++;
      else if (cause !== "memory") slot.counts.memoryKills++;
      // Only a job alone on its worker is known to be the cause. Several in flight (a batch,
      // concurrent tasks): each becomes a suspect and runs again alone, not charged.
      const alone = entries.length === 1;
      const why = describeExit(info);
      // The seat is out of work while its worker respawns: it becomes the isolation lane,
      // so suspects never take a live worker away from regular jobs.
      if (!alone && live.length > 0 && !this.#slots.some((s) => s.isolating)) {
        slot.isolating = true;
      }
      for (const entry of live) {
        if (!alone) {
          this.#requeue(entry, true);
          continue;
        }
        slot.counts.failures++;
        const task = entry.request.task;
        const where = `${this.kind} worker ${slot.id}`;
        const note = entry.suspect ? " (run alone after a worker it shared died)" : "";
        this.#settle(
          entry,
          memory
            ? fault(
                "MemoryLimitExceeded",
                `${where} passed its memory limit of ${this.#options.maxMemoryMb ?? "?"} MB while running ${task}${note}`,
              )
            : fault("WorkerCrashed", `${where} died (${why}) while running ${task}${note}`),
        );
      }
    }

    if (startFailed && !this.#closed) {
      this.#failStart(
        new PlatoonError(
          "EXECUTOR",
          `a ${this.kind} worker died (${describeExit(info)}) while loading the tasks module ${this.#tasksModule}`,
          { cause: info.error },
        ),
      );
    }
    if (this.#closed) {
      slot.state = "stopped";
      this.#afterProgress();
      return;
    }
    const crashed = cause === undefined || cause === "loadFailed" || cause === "memory";
    if (crashed && slot.tasksThisWorker === 0) slot.consecutiveFailedStarts++;
    else if (!crashed) slot.consecutiveFailedStarts = 0;
    const n = slot.consecutiveFailedStarts;
    const base = this.#options.respawnDelayMs ?? 100;
    const delay =
      n === 0 ? 0 : Math.min(this.#options.maxRespawnDelayMs ?? 10_000, base * 2 ** (n - 1));
    slot.counts.restarts++;
    if (delay === 0) this.#spawn(slot);
    else {
      slot.respawnTimer = setTimeout(() => {
        slot.respawnTimer = undefined;
        if (!this.#closed) this.#spawn(slot);
      }, delay);
    }
    this.#afterProgress();
  }

  /**
   * Puts a job that was in flight back in line: at the head of the queue, or, for a suspect
   * (new or again), at the end of the suspects, which run one at a time on a worker alone.
   */
  #requeue(entry: Entry, suspect = false): void {
    if (this.#closed) {
      this.#settle(entry, fault("Aborted", "executor closed before the task finished"));
      return;
    }
    entry.slot = undefined;
    entry.queued = true;
    this.#queuedLive++;
    if (suspect || entry.suspect) {
      entry.suspect = true;
      this.#suspectsQueued++;
      if (suspect) this.#suspects.push(entry);
      else this.#suspects.unshift(entry);
    } else {
      this.#queue.unshift(entry);
    }
  }

  #onDeadline(entry: Entry): void {
    if (entry.done) return;
    const slot = entry.slot;
    this.#settle(entry, fault("TaskTimedOut", `task ${entry.request.task} passed its deadline`));
    if (!slot) return;
    slot.counts.timeouts++;
    slot.counts.failures++;
    this.#interrupt(slot, entry, "TaskTimedOut", this.#options.timeoutGraceMs ?? 100);
  }

  #onAbort(entry: Entry): void {
    if (entry.done) return;
    const slot = entry.slot;
    this.#settle(entry, fault("Aborted", "cancelled while running"));
    if (slot) this.#interrupt(slot, entry, "Aborted", this.#options.abortGraceMs ?? 1000);
  }

  /**
   * The outcome is already settled; now stop the task. Its ctx.signal aborts first, and a
   * task that does not end within the grace period (a synchronous loop cannot) has its
   * worker killed.
   */
  #interrupt(slot: Slot, entry: Entry, why: "TaskTimedOut" | "Aborted", graceMs: number): void {
    const handle = slot.handle;
    if (!handle) return;
    handle.send({
      t: "abort",
      seq: entry.seq,
      fault: why,
      message: why === "Aborted" ? "cancelled" : "timed out",
    });
    entry.graceTimer = setTimeout(() => {
      if (slot.handle === handle && slot.inFlight.get(entry.seq) === entry) {
        this.#kill(slot, why === "Aborted" ? "abort" : "timeout");
      }
    }, graceMs);
  }

  #settle(entry: Entry, outcome: ExecuteOutcome): void {
    entry.done = true;
    if (entry.queued) {
      entry.queued = false;
      this.#queuedLive--;
      if (entry.suspect) this.#suspectsQueued--;
    }
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    if (entry.onAbort) entry.request.signal?.removeEventListener("abort", entry.onAbort);
    entry.resolve(outcome);
  }

  #kill(slot: Slot, cause: KillCause): void {
    if (!slot.handle || (slot.killCause && slot.killCause !== "recycle")) return;
    slot.killCause = cause;
    slot.handle.kill();
  }

  /** Asks the worker to leave once idle; kills it if it does not within a grace period. */
  #stopWorker(slot: Slot, cause: KillCause): void {
    const handle = slot.handle;
    if (!handle || slot.killCause) return;
    slot.killCause = cause;
    handle.send({ t: "stop" });
    slot.stopTimer = setTimeout(() => {
      if (slot.handle === handle) handle.kill();
    }, 2_000);
  }

  #inFlightCount(): number {
    let n = 0;
    for (const slot of this.#slots) for (const e of slot.inFlight.values()) if (!e.done) n++;
    return n;
  }

  #afterProgress(): void {
    if (this.#drained && this.#inFlightCount() === 0) this.#drained();
    this.#scheduleDispatch();
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled || this.#queuedLive === 0) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#closed) return;
    this.#dispatchSuspects();
    for (;;) {
      const regular = this.#queuedLive - this.#suspectsQueued;
      if (regular === 0) return;
      const open = this.#slots.filter(
        (s) =>
          s.state === "ready" &&
          !s.retiring &&
          !s.killCause &&
          !s.isolating &&
          s.inFlight.size < s.window(this.#concurrency, this.#maxPrefetch),
      );
      if (open.length === 0) return;
      // Least loaded first: with fewer jobs queued than open workers, an idle worker gets
      // the job rather than one that is busy and would only hold it as prefetch.
      if (open.length > 1) open.sort((a, b) => a.inFlight.size - b.inFlight.size);
      const share = Math.ceil(regular / open.length);
      let sent = 0;
      for (const slot of open) {
        const room = slot.window(this.#concurrency, this.#maxPrefetch) - slot.inFlight.size;
        sent += this.#sendBatch(slot, Math.min(room, share, this.#maxBatch), this.#queue);
      }
      if (sent === 0) return;
    }
  }

  /**
   * Suspects run one at a time on one seat reserved for them (the isolation lane): the
   * seat takes no regular jobs, finishes what it had in flight, then gets one suspect at a
   * time with nothing else in flight. The other seats keep batching regular jobs. The seat
   * goes back to regular work once no suspect is waiting or running on it.
   */
  #dispatchSuspects(): void {
    let lane = this.#slots.find((s) => s.isolating);
    if (this.#suspectsQueued === 0) {
      if (lane && ![...lane.inFlight.values()].some((e) => e.suspect)) lane.isolating = false;
      return;
    }
    if (!lane) {
      // (Normally the seat whose worker died.) The seat that can start soonest: ready,
      // with the fewest jobs in flight.
      let best: Slot | undefined;
      let bestScore = Infinity;
      for (const s of this.#slots) {
        if (s.state === "stopped") continue;
        const score = (s.state === "ready" && !s.killCause ? 0 : 1e9) + s.inFlight.size;
        if (score < bestScore) {
          best = s;
          bestScore = score;
        }
      }
      if (!best) return;
      lane = best;
      lane.isolating = true;
    }
    if (
      lane.state === "ready" &&
      !lane.retiring &&
      !lane.killCause &&
      lane.handle &&
      lane.inFlight.size === 0
    ) {
      this.#sendBatch(lane, 1, this.#suspects);
    }
  }

  #sendBatch(slot: Slot, max: number, from: Deque<Entry>): number {
    const metas: TaskMeta[] = [];
    const parts: Uint8Array[] = [];
    let total = 0;
    while (metas.length < max) {
      const entry = from.shift();
      if (!entry) break;
      if (entry.done) continue;
      entry.queued = false;
      this.#queuedLive--;
      if (entry.suspect) this.#suspectsQueued--;
      entry.slot = slot;
      slot.inFlight.set(entry.seq, entry);
      const r = entry.request;
      const flags =
        (r.signal || r.deadline !== undefined ? ABORTABLE : 0) |
        (r.enqueue ? CAN_ENQUEUE : 0) |
        (r.discardResult ? DISCARD_RESULT : 0);
      metas.push([
        entry.seq,
        r.task,
        r.jobId,
        r.queue,
        r.attempt,
        r.maxAttempts,
        r.deadline ?? 0,
        r.traceId ?? "",
        flags,
        r.payload.length,
      ]);
      parts.push(r.payload);
      total += r.payload.length;
    }
    if (metas.length > 0) slot.handle?.send({ t: "run", tasks: metas, blob: pack(parts, total) });
    return metas.length;
  }
}

function describeExit(info: ExitInfo): string {
  const parts: string[] = [];
  if (info.signal) parts.push(`signal ${info.signal}`);
  else if (info.code !== null) parts.push(`exit code ${info.code}`);
  if (info.error) parts.push(String((info.error as Error)?.message ?? info.error));
  return parts.join(": ") || "exited";
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new PlatoonError("CONFIG", `${name} must be an integer >= 1, got ${value}`);
  }
  return value;
}
