import type { Broker, Settlement, SettleResult } from "../contracts/broker.ts";
import { settledBy } from "../util/time.ts";

/**
 * Collects settlements and sends them in batches. A failed send keeps its batch and is
 * tried again with backoff: a settle is how a job leaves the broker, so it is never
 * dropped while the worker lives (if the lease expires first, the job runs again:
 * at-least-once).
 */
export class SettleBuffer {
  #pending: Settlement[] = [];
  #scheduled = false;
  #sending: Promise<void> | undefined;
  #failures = 0;
  readonly #broker: Broker;
  readonly #queue: string;
  readonly #onResults: (results: SettleResult[]) => void;
  readonly #onError: (error: unknown) => void;
  readonly #lazy: boolean;
  readonly #held: () => boolean;
  /** A flush came due while held: release() sends it. */
  #waiting = false;

  /**
   * `held()` true means a combined settle-and-reserve call is in flight and the next one
   * will carry the pending settlements: a due flush then waits, and the caller must call
   * release() once nothing is in flight any more.
   */
  constructor(
    broker: Broker,
    queue: string,
    onResults: (results: SettleResult[]) => void,
    onError: (error: unknown) => void,
    held: () => boolean = () => false,
  ) {
    this.#broker = broker;
    this.#queue = queue;
    this.#onResults = onResults;
    this.#onError = onError;
    // With a combined settle+reserve the worker usually carries the batch; flush on a
    // later macrotask so it gets the chance.
    this.#lazy = typeof broker.settleAndReserve === "function";
    this.#held = this.#lazy ? held : () => false;
  }

  get size(): number {
    return this.#pending.length;
  }

  add(settlement: Settlement): void {
    this.#pending.push(settlement);
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#lazy) setTimeout(() => this.#flushScheduled(), 0);
    else queueMicrotask(() => this.#flushScheduled());
  }

  /** Hands the pending batch to the caller (the settle-and-reserve fast path). */
  take(): Settlement[] {
    const batch = this.#pending;
    this.#pending = [];
    return batch;
  }

  /** Nothing carries the pending settlements any more: a flush that waited goes now. */
  release(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    if (this.#pending.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.#flushScheduled(), 0);
    }
  }

  /** Puts back a batch whose combined call failed. */
  restore(batch: Settlement[]): void {
    this.#pending = batch.concat(this.#pending);
    if (!this.#scheduled && this.#pending.length > 0) {
      this.#scheduled = true;
      setTimeout(() => this.#flushScheduled(), this.#retryDelay());
    }
  }

  /**
   * Sends everything pending; resolves when the broker has it, or at the epoch-ms deadline
   * even while a call is still retrying (a broker that is down must not hold a stop).
   */
  async drain(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    for (;;) {
      if (this.#sending && !(await settledBy(this.#sending, deadline))) return;
      if (this.#pending.length === 0) return;
      if (!(await settledBy(this.#send(), deadline))) return;
      if (this.#pending.length > 0) {
        const left = deadline - Date.now();
        if (left <= 0) return;
        await new Promise((r) => setTimeout(r, Math.min(left, this.#retryDelay())));
      }
    }
  }

  #flushScheduled(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#sending) return;
    if (this.#held()) {
      this.#waiting = true;
      return;
    }
    void this.#send().then(() => {
      if (this.#pending.length > 0 && !this.#scheduled) {
        this.#scheduled = true;
        setTimeout(() => this.#flushScheduled(), this.#failures > 0 ? this.#retryDelay() : 0);
      }
    });
  }

  #send(): Promise<void> {
    const batch = this.take();
    if (batch.length === 0) return Promise.resolve();
    const sending = this.#broker.settle(this.#queue, batch).then(
      (results) => {
        this.#failures = 0;
        this.#onResults(results);
      },
      (error) => {
        this.#failures++;
        this.#pending = batch.concat(this.#pending);
        this.#onError(error);
      },
    );
    this.#sending = sending.finally(() => {
      this.#sending = undefined;
    });
    return this.#sending;
  }

  #retryDelay(): number {
    return Math.min(5_000, 50 * 2 ** Math.min(this.#failures, 7));
  }
}
