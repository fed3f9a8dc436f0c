import type { Codec } from "../codec/codec.ts";
import type { Broker, JobInfo, JobResult } from "../contracts/broker.ts";
import { CancelledError, PlatoonError, RemoteError, TimeoutError } from "../errors.ts";
import type { ResultOptions } from "./enqueue-options.ts";

/** A job the client enqueued: await its result, cancel it, or look it up. */
export class JobHandle<Output = unknown> {
  readonly id: string;
  readonly queue: string;
  /** True when an idempotency key matched an earlier job: this handle is that job. */
  readonly duplicate: boolean;
  readonly #broker: Broker;
  readonly #codec: Codec;

  constructor(broker: Broker, codec: Codec, queue: string, id: string, duplicate: boolean) {
    this.#broker = broker;
    this.#codec = codec;
    this.queue = queue;
    this.id = id;
    this.duplicate = duplicate;
  }

  /**
   * The task's return value. Rejects with a RemoteError (the task's name, message and
   * stack), a CancelledError, or a TimeoutError when options.timeoutMs passes first.
   */
  async result(options: ResultOptions = {}): Promise<Output> {
    const timeout = options.timeoutMs ?? Number.POSITIVE_INFINITY;
    const result = await this.#broker.waitResult(this.queue, this.id, timeout);
    if (!result) {
      if (Number.isFinite(timeout)) {
        throw new TimeoutError(`job ${this.id} gave no result within ${timeout} ms`);
      }
      throw new PlatoonError(
        "CLOSED",
        `job ${this.id}: the broker closed, or the result expired, before a result was seen`,
      );
    }
    return (await decodeResult(this.#codec, this.id, result)) as Output;
  }

  /** Cancels the job if it has not started. False when it is running or finished. */
  cancel(): Promise<boolean> {
    return this.#broker.cancel(this.queue, this.id);
  }

  info(): Promise<JobInfo | undefined> {
    return this.#broker.getJob(this.queue, this.id);
  }
}

export async function decodeResult(codec: Codec, id: string, result: JobResult): Promise<unknown> {
  if (result.status === "completed") return codec.decode(result.value);
  if (result.status === "cancelled") throw new CancelledError(`job ${id} was cancelled`);
  throw new RemoteError(result.error, id);
}
