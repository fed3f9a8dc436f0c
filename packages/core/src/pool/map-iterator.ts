import type { PoolEngine, PoolJobOptions } from "./engine.ts";
import { Failure, HOLE, MapState } from "./map-state.ts";

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * pool.map() as a hand-written async iterator: when a result is ready, next() returns an
 * already-settled promise, which costs a fraction of an async generator's yield. Inputs
 * are read lazily; never more than `window` are submitted and not yet yielded.
 */
export class MapIterator<T> implements AsyncIterableIterator<T> {
  readonly #engine: PoolEngine;
  readonly #task: string;
  readonly #options: PoolJobOptions;
  readonly #window: number;
  readonly #roomLeft: () => number;
  readonly #state: MapState;
  readonly #inputs: Iterator<unknown> | AsyncIterator<unknown>;
  readonly #async: boolean;
  /** Refill in bulk once the window is half empty: one job per result turns every broker call into a batch of one. */
  readonly #lowWater: number;
  #refilling = true;
  #index = 0;
  #exhausted = false;
  #done = false;

  constructor(
    engine: PoolEngine,
    task: string,
    inputs: Iterable<unknown> | AsyncIterable<unknown>,
    options: PoolJobOptions & { ordered?: boolean },
    window: number,
    roomLeft: () => number,
  ) {
    const { ordered = true, ...jobOptions } = options;
    this.#engine = engine;
    this.#task = task;
    this.#options = jobOptions;
    this.#window = window;
    this.#roomLeft = roomLeft;
    this.#lowWater = Math.floor(window / 2);
    this.#state = new MapState(ordered, window);
    this.#async = Symbol.asyncIterator in inputs;
    this.#inputs = this.#async
      ? (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (inputs as Iterable<unknown>)[Symbol.iterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#done) return Promise.resolve(DONE);
    let refilled: Promise<void> | undefined;
    try {
      if (!this.#async) {
        refilled = this.#refill();
        if (refilled === undefined) {
          const value = this.#state.take();
          if (value !== HOLE) return this.#yield(value);
          if (this.#finished()) return this.#finish();
        }
      }
    } catch (error) {
      return this.#throw(error);
    }
    return this.#slowNext(refilled);
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#done) {
      this.#done = true;
      if (!this.#exhausted) this.#closeInputs();
    }
    return Promise.resolve(DONE);
  }

  async #slowNext(refilling?: Promise<void>): Promise<IteratorResult<T>> {
    try {
      if (refilling) await refilling;
      for (;;) {
        const refilled = this.#refill();
        if (refilled) await refilled;
        const value = this.#state.take();
        if (value !== HOLE) return await this.#yield(value);
        if (this.#finished()) return await this.#finish();
        const s = this.#state;
        if (!this.#exhausted && s.inFlight + s.buffered <= this.#lowWater && this.#room() > 0)
          continue;
        await s.wait();
      }
    } catch (error) {
      return this.#throw(error);
    }
  }

  /** Submits inputs while there is room; a promise when it has to wait for one. */
  #refill(): Promise<void> | undefined {
    const s = this.#state;
    if (!this.#refilling && !this.#exhausted && s.inFlight + s.buffered <= this.#lowWater)
      this.#refilling = true;
    while (this.#refilling && !this.#exhausted && this.#room() > 0) {
      const step = this.#inputs.next();
      if (step instanceof Promise)
        return step.then((st) => this.#accept(st)).then(() => this.#refill());
      const submitted = this.#accept(step);
      if (submitted) return submitted.then(() => this.#refill());
    }
    this.#refilling = false;
    return undefined;
  }

  #accept(step: IteratorResult<unknown>): void | Promise<void> {
    if (step.done) {
      this.#exhausted = true;
      return;
    }
    this.#state.inFlight++;
    return this.#engine.submit(this.#task, step.value, this.#options, this.#state, this.#index++);
  }

  #room(): number {
    const s = this.#state;
    return Math.min(this.#roomLeft(), this.#window - s.inFlight - s.buffered);
  }

  #finished(): boolean {
    return this.#exhausted && this.#state.inFlight === 0 && this.#state.buffered === 0;
  }

  #yield(value: unknown): Promise<IteratorResult<T>> {
    if (value instanceof Failure) return this.#throw(value.error);
    return Promise.resolve({ value: value as T, done: false });
  }

  #finish(): Promise<IteratorResult<T>> {
    this.#done = true;
    return Promise.resolve(DONE);
  }

  #throw(error: unknown): Promise<never> {
    this.#done = true;
    if (!this.#exhausted) this.#closeInputs();
    return Promise.reject(error);
  }

  #closeInputs(): void {
    this.#exhausted = true;
    // The caller's iterator failing to close must not hide the pool's own ending.
    try {
      const closed = (this.#inputs as { return?: () => unknown }).return?.();
      if (closed instanceof Promise) closed.catch(() => {});
    } catch {}
  }
}
