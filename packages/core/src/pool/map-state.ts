/** Where a job's ending is delivered: its value, or a Failure. */
export interface Receiver {
  deliver(index: number, value: unknown): void;
}

/** A job's ending that is not a value: map() and run() throw its error. */
export class Failure {
  readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
}

/** Marks an empty place in the ring (undefined is a valid result). */
export const HOLE: unique symbol = Symbol("hole");

/**
 * Results of one pool.map() call as they arrive: by input index (ordered) or in arrival
 * order. The consumer waits on one promise only when nothing it can yield has arrived.
 */
export class MapState implements Receiver {
  inFlight = 0;
  readonly #ordered: boolean;
  /** Ordered results, at index modulo a power of two above the pool's window. */
  readonly #ring: unknown[];
  readonly #mask: number;
  #ringCount = 0;
  readonly #arrived: unknown[] = [];
  #arrivedHead = 0;
  #nextIndex = 0;
  #wake: (() => void) | undefined;

  constructor(ordered: boolean, window: number) {
    this.#ordered = ordered;
    let size = 16;
    while (size < window + 1) size *= 2;
    this.#ring = ordered ? new Array(size).fill(HOLE) : [];
    this.#mask = size - 1;
  }

  deliver(index: number, value: unknown): void {
    this.inFlight--;
    if (this.#ordered) {
      this.#ring[index & this.#mask] = value;
      this.#ringCount++;
    } else this.#arrived.push(value);
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    }
  }

  /** The next result to yield, or HOLE when it has not arrived. */
  take(): unknown {
    if (this.#ordered) {
      const at = this.#nextIndex & this.#mask;
      const r = this.#ring[at];
      if (r !== HOLE) {
        this.#ring[at] = HOLE;
        this.#ringCount--;
        this.#nextIndex++;
      }
      return r;
    }
    if (this.#arrivedHead >= this.#arrived.length) return HOLE;
    const r = this.#arrived[this.#arrivedHead];
    this.#arrived[this.#arrivedHead++] = undefined;
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
