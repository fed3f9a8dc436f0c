/** Binary min-heap on a numeric key; ties keep no particular order. */
export class MinHeap<T> {
  readonly #keys: number[] = [];
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(key: number, item: T): void {
    let i = this.#items.length;
    this.#keys.push(key);
    this.#items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#keys[parent]! <= key) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  peekKey(): number | undefined {
    return this.#keys[0];
  }

  pop(): T | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const top = this.#items[0];
    const lastKey = this.#keys.pop()!;
    const lastItem = this.#items.pop()!;
    if (n > 1) {
      this.#keys[0] = lastKey;
      this.#items[0] = lastItem;
      this.#siftDown(0);
    }
    return top;
  }

  clear(): void {
    this.#keys.length = 0;
    this.#items.length = 0;
  }

  #siftDown(start: number): void {
    const n = this.#items.length;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < n && this.#keys[l]! < this.#keys[min]!) min = l;
      if (r < n && this.#keys[r]! < this.#keys[min]!) min = r;
      if (min === i) return;
      this.#swap(i, min);
      i = min;
    }
  }

  #swap(a: number, b: number): void {
    const k = this.#keys[a]!;
    this.#keys[a] = this.#keys[b]!;
    this.#keys[b] = k;
    const t = this.#items[a]!;
    this.#items[a] = this.#items[b]!;
    this.#items[b] = t;
  }
}
