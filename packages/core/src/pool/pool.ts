import type { InputOf, NameOf, OutputOf } from "../client/typing.ts";
import { type CodecConfig, createCodec } from "../codec/codec.ts";
import type { Executor, TasksModule } from "../contracts/executor.ts";
import { ConfigError } from "../errors.ts";
import { InlineExecutor } from "../executor/inline-executor.ts";
import { MemoryBroker } from "../memory-broker/memory-broker.ts";
import type { WorkerHooks } from "../worker/hooks.ts";
import type { WorkerMetrics } from "../worker/metrics.ts";
import { Worker } from "../worker/worker.ts";
import { BrokerEngine } from "./broker-engine.ts";
import { DirectLane } from "./direct-lane.ts";
import { type PoolEngine, type PoolJobOptions, QUEUE } from "./engine.ts";
import { MapIterator } from "./map-iterator.ts";
import { Failure, type Receiver } from "./map-state.ts";

export type { PoolJobOptions } from "./engine.ts";

export interface PoolOptions extends CodecConfig {
  /** The tasks module (a specifier for thread/process executors, or the module itself). */
  tasks: string | URL | TasksModule;
  /**
   * Default: inline, on this thread. Inline pools pass inputs and results by reference
   * (no codec) unless a serializer or compressor is named; thread and process executors
   * always encode.
   */
  executor?: Executor;
  /** Jobs running at once. Default: the executor's capacity. */
  concurrency?: number;
  /** Most jobs submitted and not finished; run() and map() wait for room. Default 10,000. */
  maxQueue?: number;
  hooks?: WorkerHooks;
  defaultTimeoutMs?: number;
}

export interface MapOptions extends PoolJobOptions {
  /** Yield results in input order (default) or as they complete. */
  ordered?: boolean;
}

/**
 * Client + worker in one process: parallel work with retries, timeouts and metrics, and
 * no server. The same tasks module later runs on a fleet unchanged.
 */
export class Pool<M = unknown> {
  readonly maxQueue: number;
  /** "direct" for inline pools (no broker, no codec), "broker" for thread and process pools. */
  readonly mode: "direct" | "broker";
  readonly #engine: PoolEngine;
  readonly #roomWaiters: (() => void)[];

  constructor(engine: PoolEngine, maxQueue: number, roomWaiters: (() => void)[]) {
    this.#engine = engine;
    this.mode = engine.mode;
    this.maxQueue = maxQueue;
    this.#roomWaiters = roomWaiters;
  }

  /** Jobs submitted and not yet finished. */
  get outstanding(): number {
    return this.#engine.outstanding;
  }

  /** Runs one task and resolves with its result (waits for room if maxQueue is reached). */
  async run<N extends NameOf<M>>(
    task: N,
    input: InputOf<M, N>,
    options: PoolJobOptions = {},
  ): Promise<OutputOf<M, N>> {
    while (this.#engine.outstanding >= this.maxQueue) await this.#room();
    const value = await new Promise<unknown>((resolve, reject) => {
      const receiver: Receiver = { deliver: (_index, v) => resolve(v) };
      const submitted = this.#engine.submit(task, input, options, receiver, 0);
      if (submitted) submitted.catch(reject);
    });
    if (value instanceof Failure) throw value.error;
    return value as OutputOf<M, N>;
  }

  /**
   * Runs the task over every input with never more than maxQueue submitted and unfinished,
   * and yields results in input order (or as they complete). Inputs are read lazily, so
   * an endless or huge iterable is fine. A failed job's RemoteError is thrown from the
   * iterator at its place in the order.
   */
  map<N extends NameOf<M>>(
    task: N,
    inputs: Iterable<InputOf<M, N>> | AsyncIterable<InputOf<M, N>>,
    options: MapOptions = {},
  ): AsyncIterableIterator<OutputOf<M, N>> {
    return new MapIterator<OutputOf<M, N>>(
      this.#engine,
      task,
      inputs,
      options,
      this.maxQueue,
      () => this.maxQueue - this.#engine.outstanding,
    );
  }

  metrics(): WorkerMetrics {
    return this.#engine.metrics();
  }

  /** Stops the pool (running jobs finish unless not graceful); unfinished jobs reject. */
  close(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return this.#engine.close(options);
  }

  #room(): Promise<void> {
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }
}

/** Starts a pool. Type it with your tasks module: `createPool<typeof import("./tasks")>(…)`. */
export async function createPool<M = unknown>(options: PoolOptions): Promise<Pool<M>> {
  if (!options?.tasks)
    throw new ConfigError("createPool needs a tasks module: createPool({ tasks })");
  const maxQueue = options.maxQueue ?? 10_000;
  if (!(Number.isInteger(maxQueue) && maxQueue >= 1)) {
    throw new ConfigError(`maxQueue must be an integer >= 1, got ${maxQueue}`);
  }
  const concurrency = options.concurrency;
  if (concurrency !== undefined && !(Number.isFinite(concurrency) && concurrency >= 1)) {
    throw new ConfigError(`concurrency must be a number >= 1, got ${concurrency}`);
  }
  const roomWaiters: (() => void)[] = [];
  const onRoom = () => {
    if (roomWaiters.length > 0) roomWaiters.shift()!();
  };
  const executor = options.executor;
  const inline = executor === undefined || executor instanceof InlineExecutor;
  const encodes = options.serializer !== undefined || options.compressor !== undefined;
  if (inline && !encodes) {
    const lane = await DirectLane.start({
      tasks: options.tasks,
      concurrency: Math.floor(concurrency ?? executor?.capacity ?? new InlineExecutor().capacity),
      onRoom,
      ...(options.hooks ? { hooks: options.hooks } : {}),
      ...(options.defaultTimeoutMs ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
    });
    return new Pool<M>(lane, maxQueue, roomWaiters);
  }
  const codec = await createCodec(options);
  const broker = new MemoryBroker();
  const worker = new Worker({
    broker,
    codec,
    queue: QUEUE,
    tasks: options.tasks,
    ...(executor ? { executor } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.defaultTimeoutMs ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
    // Nothing outside this process competes for these jobs; a long lease saves extends.
    leaseMs: 10 * 60_000,
    waitMs: Number.POSITIVE_INFINITY,
    starvationMs: Number.POSITIVE_INFINITY,
  });
  await worker.start();
  return new Pool<M>(new BrokerEngine(broker, worker, codec, onRoom), maxQueue, roomWaiters);
}
