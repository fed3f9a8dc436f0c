/** Plain text tables, durations and a progress bar for the terminal. */

export interface Out {
  json: boolean;
  write(text: string): void;
  error(text: string): void;
}

export const stdoutOut = (json: boolean): Out => ({
  json,
  write: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  error: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
});

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? "-" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || r[i] === undefined),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n");
}

export function ago(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

/** A one-line progress bar on stderr, drawn only on a terminal. */
export class Progress {
  readonly #total: number;
  readonly #label: string;
  readonly #tty: boolean;
  #done = 0;
  #lastDraw = 0;

  constructor(label: string, total: number, enabled = process.stderr.isTTY === true) {
    this.#label = label;
    this.#total = total;
    this.#tty = enabled;
  }

  add(n: number): void {
    this.#done += n;
    const now = Date.now();
    if (this.#tty && (now - this.#lastDraw > 50 || this.#done >= this.#total)) {
      this.#lastDraw = now;
      const width = 30;
      const ratio = this.#total === 0 ? 1 : Math.min(1, this.#done / this.#total);
      const filled = Math.round(ratio * width);
      process.stderr.write(
        `\r${this.#label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.#done}/${this.#total}`,
      );
    }
  }

  end(): void {
    if (this.#tty) process.stderr.write("\n");
  }
}
