type Out = { write(text: string): unknown; isTTY?: boolean };

/**
 * A one-line progress bar on a terminal, redrawn at most every 100 ms; a line per 10%
 * elsewhere (CI logs, pipes). The same idea as apps/local-pool's, with a label.
 */
export class Progress {
  readonly #total: number;
  readonly #out: Out;
  readonly #label: string;
  readonly #started = performance.now();
  #done = 0;
  #lastDraw = 0;
  #lastDecile = -1;

  constructor(total: number, out: Out, label = "") {
    this.#total = total;
    this.#out = out;
    this.#label = label ? `${label} ` : "";
  }

  get done(): number {
    return this.#done;
  }

  tick(n = 1): void {
    this.#done += n;
    const now = performance.now();
    const finished = this.#done >= this.#total;
    const rate = Math.round(this.#done / Math.max(0.001, (now - this.#started) / 1000));
    const share = this.#total === 0 ? 1 : this.#done / this.#total;
    const pct = `${(share * 100).toFixed(0).padStart(3)}%`;
    if (this.#out.isTTY) {
      if (!finished && now - this.#lastDraw < 100) return;
      this.#lastDraw = now;
      const width = 30;
      const filled = Math.round(share * width);
      this.#out.write(
        `\r${this.#label}[${"#".repeat(filled)}${".".repeat(width - filled)}] ${pct} ${this.#done}/${this.#total} ${rate}/s`,
      );
      if (finished) this.#out.write("\n");
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile !== this.#lastDecile) {
      this.#lastDecile = decile;
      this.#out.write(`${this.#label}${pct.trim()} ${this.#done}/${this.#total} ${rate}/s\n`);
    }
  }
}

/** Plain text table, columns padded to fit. */
export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return "";
  const headers = Object.keys(rows[0]!);
  const cells = [headers, ...rows.map((r) => headers.map((h) => String(r[h] ?? "")))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [
    line(cells[0]!),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
  ].join("\n");
}

/** Mean and percentiles of a list of milliseconds. */
export function summarize(values: number[]): { meanMs: number; p50Ms: number; p99Ms: number } {
  if (values.length === 0) return { meanMs: 0, p50Ms: 0, p99Ms: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { meanMs: sum / sorted.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}
