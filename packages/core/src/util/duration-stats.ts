import type { DurationStats } from "../contracts/executor.ts";

/**
 * Running mean and standard deviation over all samples (Welford), percentiles over the
 * most recent `window` samples, so memory stays flat however long a worker runs.
 */
export class DurationRecorder {
  #count = 0;
  #mean = 0;
  #m2 = 0;
  readonly #window: Float64Array;
  #next = 0;

  constructor(window = 1024) {
    this.#window = new Float64Array(window);
  }

  record(ms: number): void {
    this.#count++;
    const delta = ms - this.#mean;
    this.#mean += delta / this.#count;
    this.#m2 += delta * (ms - this.#mean);
    this.#window[this.#next++ % this.#window.length] = ms;
  }

  get count(): number {
    return this.#count;
  }

  snapshot(): DurationStats {
    const n = Math.min(this.#count, this.#window.length);
    const recent = this.#window.slice(0, n).sort();
    const at = (q: number) => (n === 0 ? 0 : recent[Math.min(n - 1, Math.floor(q * n))]!);
    return {
      count: this.#count,
      meanMs: this.#mean,
      stdMs: this.#count > 1 ? Math.sqrt(this.#m2 / (this.#count - 1)) : 0,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
    };
  }
}
