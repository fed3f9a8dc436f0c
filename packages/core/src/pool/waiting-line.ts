import { Deque } from "../util/deque.ts";

/**
 * Jobs waiting for a slot, highest priority first and in arrival order within a
 * priority. Most pools use one priority, so that case is a single deque.
 */
export class WaitingLine<T> {
  /** Buckets sorted by priority, highest first; few distinct priorities are expected. */
  readonly #buckets: { priority: number; items: Deque<T> }[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(priority: number, item: T): void {
    this.#bucket(priority).push(item);
    this.#size++;
  }

  shift(): T | undefined {
    for (const bucket of this.#buckets) {
      if (bucket.items.size > 0) {
        this.#size--;
        return bucket.items.shift();
      }
    }
    return undefined;
  }

  /** Empties the line and returns what it held. */
  drain(): T[] {
    const all: T[] = [];
    for (const bucket of this.#buckets) all.push(...bucket.items);
    this.#buckets.length = 0;
    this.#size = 0;
    return all;
  }

  #bucket(priority: number): Deque<T> {
    const buckets = this.#buckets;
    let i = 0;
    while (i < buckets.length && buckets[i]!.priority > priority) i++;
    if (buckets[i]?.priority !== priority) buckets.splice(i, 0, { priority, items: new Deque() });
    return buckets[i]!.items;
  }
}
