import type { Codec } from "../codec/codec.ts";
import type { JobResult, NewJob } from "../contracts/broker.ts";
import { CancelledError, RemoteError } from "../errors.ts";
import type { MemoryBroker } from "../memory-broker/memory-broker.ts";
import { newId } from "../util/ids.ts";
import type { WorkerMetrics } from "../worker/metrics.ts";
import type { Worker } from "../worker/worker.ts";
import { closedFailure, type PoolEngine, type PoolJobOptions, QUEUE } from "./engine.ts";
import { Failure, type Receiver } from "./map-state.ts";

interface Slot {
  receiver: Receiver;
  index: number;
}

/**
 * A pool whose tasks run in threads or child processes: jobs are encoded once and go
 * through a memory broker to a worker, so supervision, leases and retries apply.
 */
export class BrokerEngine implements PoolEngine {
  readonly mode = "broker";
  readonly broker: MemoryBroker;
  readonly worker: Worker;
  readonly codec: Codec;
  readonly #slots = new Map<string, Slot>();
  readonly #onRoom: () => void;
  #batch: NewJob[] | undefined;
  #closing: Promise<void> | undefined;

  constructor(broker: MemoryBroker, worker: Worker, codec: Codec, onRoom: () => void) {
    this.broker = broker;
    this.worker = worker;
    this.codec = codec;
    this.#onRoom = onRoom;
    // Results go straight to their slot; the broker keeps none (resultTtlMs: 0).
    broker.onResult(QUEUE, (id, result) => this.#onResult(id, result));
  }

  get outstanding(): number {
    return this.#slots.size;
  }

  submit(
    task: string,
    input: unknown,
    o: PoolJobOptions,
    receiver: Receiver,
    index: number,
  ): void | Promise<void> {
    const encoded = this.codec.encode(input);
    if (encoded instanceof Promise)
      return encoded.then((payload) => this.#submit(task, payload, o, { receiver, index }));
    this.#submit(task, encoded, o, { receiver, index });
  }

  #submit(task: string, payload: Uint8Array, o: PoolJobOptions, slot: Slot): void {
    if (this.#closing) throw closedFailure().error;
    const job: NewJob = { id: newId(), task, payload, resultTtlMs: 0 };
    if (o.priority !== undefined) job.priority = o.priority;
    if (o.attempts !== undefined) job.maxAttempts = o.attempts;
    if (o.backoff !== undefined) job.backoff = o.backoff;
    if (o.timeoutMs !== undefined) job.timeoutMs = o.timeoutMs;
    if (o.traceId !== undefined) job.traceId = o.traceId;
    if (o.runAt !== undefined) job.runAt = +o.runAt;
    else if (o.delayMs !== undefined) job.runAt = Date.now() + o.delayMs;
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
    if (result.status !== "completed") {
      this.#deliver(
        slot,
        new Failure(
          result.status === "cancelled"
            ? new CancelledError(`job ${id} was cancelled`)
            : new RemoteError(result.error, id),
        ),
      );
      return;
    }
    let value: unknown;
    try {
      value = this.codec.decode(result.value);
    } catch (error) {
      value = new Failure(error as Error);
    }
    if (value instanceof Promise) {
      value.then(
        (v) => this.#deliver(slot, v),
        (error) => this.#deliver(slot, new Failure(error)),
      );
    } else this.#deliver(slot, value);
  }

  #deliver(slot: Slot, value: unknown): void {
    slot.receiver.deliver(slot.index, value);
    this.#onRoom();
  }

  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  close(options: { graceful?: boolean; timeoutMs?: number }): Promise<void> {
    this.#closing ??= (async () => {
      await this.worker.stop(options);
      await this.broker.close();
      const left = [...this.#slots.values()];
      this.#slots.clear();
      for (const slot of left) this.#deliver(slot, closedFailure());
    })();
    return this.#closing;
  }
}
