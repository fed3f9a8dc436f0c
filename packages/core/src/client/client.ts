import { type Codec, type CodecConfig, createCodec } from "../codec/codec.ts";
import type { Broker, NewJob } from "../contracts/broker.ts";
import { ConfigError, PlatoonError } from "../errors.ts";
import { newId } from "../util/ids.ts";
import type { EnqueueOptions, ResultOptions } from "./enqueue-options.ts";
import { JobHandle } from "./job-handle.ts";
import type { InputOf, NameOf, OutputOf } from "./typing.ts";

export interface ClientOptions extends CodecConfig {
  broker: Broker;
  /** Default queue. Default "default". */
  queue?: string;
  /** A ready codec; otherwise one is built from serializer/compressor (or the env). */
  codec?: Codec;
  /** Default result time to live for this client's jobs. Default: the broker's. */
  resultTtlMs?: number;
}

interface Pending {
  job: NewJob;
  resolve: (handle: JobHandle<any>) => void;
  reject: (error: unknown) => void;
}

/**
 * The producer side. Enqueues made in the same tick go to the broker as one batch, so a
 * loop of `await`-less enqueues costs one round trip, not one per job.
 */
export class Client<M = unknown> {
  readonly broker: Broker;
  readonly codec: Codec;
  readonly queue: string;
  readonly #resultTtlMs: number | undefined;
  readonly #batches = new Map<string, Pending[]>();
  #closed = false;

  constructor(
    broker: Broker,
    codec: Codec,
    options: { queue?: string; resultTtlMs?: number } = {},
  ) {
    this.broker = broker;
    this.codec = codec;
    this.queue = options.queue ?? "default";
    this.#resultTtlMs = options.resultTtlMs;
  }

  /** Enqueues one job; resolves once the broker has it. */
  async enqueue<N extends NameOf<M>>(
    task: N,
    input: InputOf<M, N>,
    options: EnqueueOptions = {},
  ): Promise<JobHandle<OutputOf<M, N>>> {
    const payload = await this.codec.encode(input);
    return this.enqueueEncoded(task, payload, options) as Promise<JobHandle<OutputOf<M, N>>>;
  }

  /** Enqueues one job per input, in one batch. */
  async enqueueMany<N extends NameOf<M>>(
    task: N,
    inputs: Iterable<InputOf<M, N>>,
    options: EnqueueOptions = {},
  ): Promise<JobHandle<OutputOf<M, N>>[]> {
    if (options.id !== undefined || options.idempotencyKey !== undefined) {
      throw new ConfigError("enqueueMany: id and idempotencyKey are per job; use enqueueBulk");
    }
    return this.enqueueBulk([...inputs].map((input) => ({ task, input, options })));
  }

  /** Enqueues jobs of any tasks, each with its own options, in one batch per queue. */
  async enqueueBulk<N extends NameOf<M>>(
    items: { task: N; input: InputOf<M, N>; options?: EnqueueOptions }[],
  ): Promise<JobHandle<OutputOf<M, N>>[]> {
    const byQueue = new Map<string, { index: number; job: NewJob }[]>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const options = item.options ?? {};
      // Most codecs encode synchronously: await only a promise (one microtask per job adds up).
      const encoded = this.codec.encode(item.input);
      const payload = encoded instanceof Promise ? await encoded : encoded;
      const job = this.#job(item.task, payload, options);
      const queue = options.queue ?? this.queue;
      let list = byQueue.get(queue);
      if (!list) byQueue.set(queue, (list = []));
      list.push({ index: i, job });
    }
    const handles: JobHandle<any>[] = new Array(items.length);
    for (const [queue, list] of byQueue) {
      const results = await this.broker.enqueue(
        queue,
        list.map((x) => x.job),
      );
      results.forEach((r, k) => {
        handles[list[k]!.index] = new JobHandle(this.broker, this.codec, queue, r.id, r.duplicate);
      });
    }
    return handles;
  }

  /** Enqueues and waits for the result. */
  async run<N extends NameOf<M>>(
    task: N,
    input: InputOf<M, N>,
    options: EnqueueOptions & ResultOptions = {},
  ): Promise<OutputOf<M, N>> {
    const handle = await this.enqueue(task, input, options);
    return handle.result(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  }

  /** Fire and forget: no result is kept. Resolves to the job id once enqueued. */
  async send<N extends NameOf<M>>(
    task: N,
    input: InputOf<M, N>,
    options: EnqueueOptions = {},
  ): Promise<string> {
    return (await this.enqueue(task, input, { ...options, resultTtlMs: 0 })).id;
  }

  /**
   * Callback mode: enqueues, then calls `callback(error, value)` when the job finishes.
   * Resolves to the job id once enqueued.
   */
  async enqueueWithCallback<N extends NameOf<M>>(
    task: N,
    input: InputOf<M, N>,
    callback: (error: Error | null, value?: OutputOf<M, N>) => void,
    options: EnqueueOptions & ResultOptions = {},
  ): Promise<string> {
    const handle = await this.enqueue(task, input, options);
    handle.result(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }).then(
      (value) => callback(null, value),
      (error: Error) => callback(error),
    );
    return handle.id;
  }

  /** A handle for a job enqueued elsewhere. */
  job<Output = unknown>(id: string, queue = this.queue): JobHandle<Output> {
    return new JobHandle<Output>(this.broker, this.codec, queue, id, false);
  }

  /** Enqueues an already encoded payload (what tasks' ctx.enqueue uses). */
  enqueueEncoded(
    task: string,
    payload: Uint8Array,
    options: EnqueueOptions = {},
  ): Promise<JobHandle<unknown>> {
    if (this.#closed) return Promise.reject(new PlatoonError("CLOSED", "client is closed"));
    const job = this.#job(task, payload, options);
    const queue = options.queue ?? this.queue;
    return new Promise((resolve, reject) => {
      let batch = this.#batches.get(queue);
      if (!batch) {
        this.#batches.set(queue, (batch = []));
        queueMicrotask(() => this.#flush(queue));
      }
      batch.push({ job, resolve, reject });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #flush(queue: string): void {
    const batch = this.#batches.get(queue);
    this.#batches.delete(queue);
    if (!batch || batch.length === 0) return;
    this.broker
      .enqueue(
        queue,
        batch.map((p) => p.job),
      )
      .then(
        (results) => {
          for (let i = 0; i < batch.length; i++) {
            const r = results[i]!;
            batch[i]!.resolve(new JobHandle(this.broker, this.codec, queue, r.id, r.duplicate));
          }
        },
        (error) => {
          for (const p of batch) p.reject(error);
        },
      );
  }

  #job(task: string, payload: Uint8Array, o: EnqueueOptions): NewJob {
    if (typeof task !== "string" || task.length === 0) {
      throw new ConfigError(`task name must be a non-empty string, got ${JSON.stringify(task)}`);
    }
    const job: NewJob = { id: o.id ?? newId(), task, payload };
    if (o.priority !== undefined) job.priority = o.priority;
    const runAt =
      o.runAt !== undefined
        ? +o.runAt
        : o.delayMs !== undefined
          ? Date.now() + o.delayMs
          : undefined;
    if (runAt !== undefined) {
      if (Number.isNaN(runAt)) throw new ConfigError("runAt is not a valid date");
      job.runAt = runAt;
    }
    if (o.attempts !== undefined) {
      if (!(Number.isInteger(o.attempts) && o.attempts >= 1)) {
        throw new ConfigError(`attempts must be an integer >= 1, got ${o.attempts}`);
      }
      job.maxAttempts = o.attempts;
    }
    if (o.backoff !== undefined) job.backoff = o.backoff;
    if (o.timeoutMs !== undefined) job.timeoutMs = o.timeoutMs;
    if (o.idempotencyKey !== undefined) job.idempotencyKey = o.idempotencyKey;
    const ttl = o.resultTtlMs ?? this.#resultTtlMs;
    if (ttl !== undefined) job.resultTtlMs = ttl;
    if (o.traceId !== undefined) job.traceId = o.traceId;
    return job;
  }
}

/** Creates a client; type it with your tasks module to check names, inputs and results. */
export async function createClient<M = unknown>(options: ClientOptions): Promise<Client<M>> {
  if (!options?.broker)
    throw new ConfigError("createClient needs a broker: createClient({ broker })");
  const codec = options.codec ?? (await createCodec(options));
  return new Client<M>(options.broker, codec, {
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.resultTtlMs === undefined ? {} : { resultTtlMs: options.resultTtlMs }),
  });
}
