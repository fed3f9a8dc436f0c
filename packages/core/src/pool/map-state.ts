import type { JobResult } from "../contracts/broker.ts";

/**
 * Results of one pool.map() call as they arrive: by input index (ordered) or in arrival
 * order. The consumer waits on one promise only when nothing it can yield has arrived.
 */
export class MapState {
  inFlight = 0;
  readonly #ordered: boolean;
  /** Ordered results, at index modulo a power of two above the pool's window. */
  readonly #ring: (JobResult | undefined)[];
  readonly #mask: number;
  #ringCount = 0;
  readonly #arrived: JobResult[] = [];
  #arrivedHead = 0;
  #nextIndex = 0;
  #wake: (() => void) | undefined;

  constructor(ordered: boolean, window: number) {
    this.#ordered = ordered;
    let size = 16;
    while (size < window + 1) size *= 2;
    this.#ring = ordered ? new Array(size) : [];
    this.#mask = size - 1;
  }

  deliver(index: number, result: JobResult): void {
    this.inFlight--;
    if (this.#ordered) {
      this.#ring[index & this.#mask] = result;
      this.#ringCount++;
    } else this.#arrived.push(result);
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    }
  }

  /** The next result to yield, if it has arrived. */
  take(): JobResult | undefined {
    if (this.#ordered) {
      const at = this.#nextIndex & this.#mask;
      const r = this.#ring[at];
      if (r !== undefined) {
        this.#ring[at] = undefined;
        this.#ringCount--;
        this.#nextIndex++;
      }
      return r;
    }
    if (this.#arrivedHead >= this.#arrived.length) return undefined;
    const r = this.#arrived[this.#arrivedHead++]!;
    if (this.#arrivedHead > 1024 && this.#arrivedHead * 2 > this.#arrived.length) {
      this.#arrived.splice(0, this.#arrivedHead);
      this.#arrivedHead = 0;
    }
    return r;
  }

  get buffered(): number {
    return this.#ordered ? this.#ringCount : this.#arrived.length - this.#arrivedHead;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }
}
