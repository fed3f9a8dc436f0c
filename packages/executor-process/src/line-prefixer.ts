/**
 * Forwards a worker's stdout or stderr line by line, each line led by the worker's label,
 * so output of several workers stays readable when interleaved.
 */
export class LinePrefixer {
  readonly #prefix: string;
  readonly #write: (text: string) => void;
  #partial = "";

  constructor(label: string, write: (text: string) => void) {
    this.#prefix = `[${label}] `;
    this.#write = write;
  }

  push(chunk: string): void {
    const text = this.#partial + chunk;
    const end = text.lastIndexOf("\n");
    if (end < 0) {
      this.#partial = text;
      return;
    }
    this.#partial = text.slice(end + 1);
    const lines = text.slice(0, end).split("\n");
    this.#write(`${lines.map((line) => this.#prefix + line).join("\n")}\n`);
  }

  /** Writes a last line that had no newline (the worker exited mid-line). */
  flush(): void {
    if (this.#partial) this.#write(`${this.#prefix}${this.#partial}\n`);
    this.#partial = "";
  }
}
