import type { EnqueueOptions } from "../client/enqueue-options.ts";
import { decodeResult } from "../client/job-handle.ts";
import type { InputOf, NameOf, OutputOf } from "../client/typing.ts";
import { type Codec, type CodecConfig, createCodec } from "../codec/codec.ts";
import type { JobResult, NewJob } from "../contracts/broker.ts";
import type { Executor, TasksModule } from "../contracts/executor.ts";
import { ConfigError, PlatoonError } from "../errors.ts";
import { MemoryBroker } from "../memory-broker/memory-broker.ts";
import { newId } from "../util/ids.ts";
import type { WorkerHooks } from "../worker/hooks.ts";
import type { WorkerMetrics } from "../worker/metrics.ts";
import { Worker } from "../worker/worker.ts";
import { MapState } from "./map-state.ts";

export interface PoolOptions extends CodecConfig {
  /** The tasks module (a specifier for thread/process executors, or the module itself). */
  tasks: string | URL | TasksModule;
  /** Default: an InlineExecutor. */
  executor?: Executor;
  /** Jobs running at once. Default: the executor's capacity. */
  concurrency?: number;
  /** Most jobs submitted and not finished; run() and map() wait for room. Default 10,000. */
  maxQueue?: number;
  hooks?: WorkerHooks;
  defaultTimeoutMs?: number;
}

export type PoolJobOptions = Omit<
  EnqueueOptions,
  "id" | "idempotencyKey" | "queue" | "resultTtlMs"
>;

export interface MapOptions extends PoolJobOptions {
  /** Yield results in input order (default) or as they complete. */
  ordered?: boolean;
}

type Slot =
  | { kind: "run"; resolve: (result: JobResult) => void }
  | { kind: "map"; state: MapState; index: number };

const QUEUE = "pool";

/**
 * Client + worker + memory broker in one process: parallel work with retries, timeouts
 * and metrics, and no server. The same tasks module later runs on a fleet unchanged.
 */
export class Pool<M = unknown> {
  readonly broker: MemoryBroker;
  readonly worker: Worker;
  readonly codec: Codec;
  readonly maxQueue: number;
  readonly #slots = new Map<string, Slot>();
  readonly #roomWaiters: (() => void)[] = [];
  #batch: NewJob[] | undefined;
  #closed = false;

  constructor(broker: MemoryBroker, worker: Worker, codec: Codec, maxQueue: number) {
    this.broker = broker;
    this.worker = worker;
    this.codec = codec;
    this.maxQueue = maxQueue;
    broker.onResult(QUEUE, (id, result) => this.#onResult(id, result));
  }

  /** Jobs submitted and not yet finished. */
  get outstanding(): number {
    return this.#slots.size;
  }

  /** Runs one task and resolves with its result (waits for room if maxQueue is reached). */
  async run<N extends NameOf<M>>(
    task: N,
    input: InputOf<M, N>,
    options: PoolJobOptions = {},
  ): Promise<OutputOf<M, N>> {
    while (this.#slots.size >= this.maxQueue) await this.#room();
    const payload = await this.codec.encode(input);
    const result = await new Promise<JobResult>((resolve) => {
      this.#submit(this.#job(task, payload, options), { kind: "run", resolve });
    });
    return (await decodeResult(this.codec, "", result)) as OutputOf<M, N>;
  }

  /**
   * Runs the task over every input with never more than maxQueue submitted and unfinished,
   * and yields results in input order (or as they complete). Inputs are read lazily, so
   * an endless or huge iterable is fine. A failed job's RemoteError is thrown from the
   * iterator at its place in the order.
   */
  async *map<N extends NameOf<M>>(
    task: N,
    inputs: Iterable<InputOf<M, N>> | AsyncIterable<InputOf<M, N>>,
    options: MapOptions = {},
  ): AsyncGenerator<OutputOf<M, N>, void, undefined> {
    const { ordered = true, ...jobOptions } = options;
    const state = new MapState(ordered, this.maxQueue);
    const isAsync = Symbol.asyncIterator in inputs;
    const iterator = isAsync
      ? (inputs as AsyncIterable<InputOf<M, N>>)[Symbol.asyncIterator]()
      : (inputs as Iterable<InputOf<M, N>>)[Symbol.iterator]();
    let index = 0;
    let exhausted = false;
    // Refill in bulk once the window is half empty, not one job per result: one job per
    // result turns every broker call into a batch of one.
    const lowWater = Math.floor(this.maxQueue / 2);
    const room = () =>
      Math.min(this.maxQueue - this.#slots.size, this.maxQueue - state.inFlight - state.buffered);
    let refilling = true;
    try {
      for (;;) {
        if (!refilling && !exhausted && state.inFlight + state.buffered <= lowWater)
          refilling = true;
        while (refilling && !exhausted && room() > 0) {
          const step = isAsync
            ? await iterator.next()
            : (iterator as Iterator<InputOf<M, N>>).next();
          if (step.done) {
            exhausted = true;
            break;
          }
          const encoded = this.codec.encode(step.value);
          const payload = encoded instanceof Promise ? await encoded : encoded;
          state.inFlight++;
          this.#submit(this.#job(task, payload, jobOptions), {
            kind: "map",
            state,
            index: index++,
          });
        }
        refilling = false;
        const result = state.take();
        if (result !== undefined) {
          const value = decodeSync(this.codec, result);
          yield (value instanceof Promise ? await value : value) as OutputOf<M, N>;
          continue;
        }
        if (exhausted && state.inFlight === 0 && state.buffered === 0) return;
        if (!exhausted && state.inFlight + state.buffered <= lowWater && room() > 0) continue;
        await state.wait();
      }
    } finally {
      if (!exhausted) await (iterator as { return?: () => unknown }).return?.();
    }
  }

  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  /** Stops the worker (running jobs finish) and the broker; unfinished results reject. */
  async close(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.worker.stop(options);
    await this.broker.close();
    const closed: JobResult = {
      status: "failed",
      settledAt: Date.now(),
      error: {
        name: "PlatoonError",
        message: "the pool closed before this job finished",
        code: "CLOSED",
      },
    };
    for (const [id] of this.#slots) this.#onResult(id, closed);
  }

  #job(task: string, payload: Uint8Array, o: PoolJobOptions): NewJob {
    const job: NewJob = { id: newId(), task, payload, resultTtlMs: 0 };
    if (o.priority !== undefined) job.priority = o.priority;
    if (o.attempts !== undefined) job.maxAttempts = o.attempts;
    if (o.backoff !== undefined) job.backoff = o.backoff;
    if (o.timeoutMs !== undefined) job.timeoutMs = o.timeoutMs;
    if (o.traceId !== undefined) job.traceId = o.traceId;
    if (o.runAt !== undefined) job.runAt = +o.runAt;
    else if (o.delayMs !== undefined) job.runAt = Date.now() + o.delayMs;
    return job;
  }

  #submit(job: NewJob, slot: Slot): void {
    if (this.#closed) throw new PlatoonError("CLOSED", "pool is closed");
    this.#slots.set(job.id, slot);
    // Submissions of one tick reach the broker as one batch.
    if (!this.#batch) {
      this.#batch = [];
      queueMicrotask(() => {
        const batch = this.#batch!;
        this.#batch = undefined;
        this.broker.enqueueNow(QUEUE, batch);
      });
    }
    this.#batch.push(job);
  }

  #onResult(id: string, result: JobResult): void {
    const slot = this.#slots.get(id);
    if (!slot) return;
    this.#slots.delete(id);
    if (slot.kind === "run") slot.resolve(result);
    else slot.state.deliver(slot.index, result);
    this.#roomWaiters.shift()?.();
  }

  #room(): Promise<void> {
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }
}

function decodeSync(codec: Codec, result: JobResult): unknown {
  if (result.status === "completed") return codec.decode(result.value);
  return decodeResult(codec, "", result);
}

/** Starts a pool. Type it with your tasks module: `createPool<typeof import("./tasks")>(…)`. */
export async function createPool<M = unknown>(options: PoolOptions): Promise<Pool<M>> {
  if (!options?.tasks)
    throw new ConfigError("createPool needs a tasks module: createPool({ tasks })");
  const maxQueue = options.maxQueue ?? 10_000;
  if (!(Number.isInteger(maxQueue) && maxQueue >= 1)) {
    throw new ConfigError(`maxQueue must be an integer >= 1, got ${maxQueue}`);
  }
  const codec = await createCodec(options);
  const broker = new MemoryBroker();
  const worker = new Worker({
    broker,
    codec,
    queue: QUEUE,
    tasks: options.tasks,
    ...(options.executor ? { executor: options.executor } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.defaultTimeoutMs ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
    // Nothing outside this process competes for these jobs; a long lease saves extends.
    leaseMs: 10 * 60_000,
    waitMs: Number.POSITIVE_INFINITY,
    starvationMs: Number.POSITIVE_INFINITY,
  });
  await worker.start();
  return new Pool<M>(broker, worker, codec, maxQueue);
}
