/** A one-line progress bar on a terminal; a line per 10% elsewhere (CI logs). */
export class Progress {
  readonly #total: number;
  readonly #out: { write(text: string): unknown; isTTY?: boolean };
  readonly #started = performance.now();
  #done = 0;
  #lastDecile = -1;

  constructor(total: number, out: { write(text: string): unknown; isTTY?: boolean }) {
    this.#total = total;
    this.#out = out;
  }

  tick(n = 1): void {
    this.#done += n;
    const rate = this.#done / Math.max(0.001, (performance.now() - this.#started) / 1000);
    const share = this.#done / this.#total;
    if (this.#out.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      this.#out.write(
        `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${this.#done}/${this.#total} ${Math.round(rate)}/s`,
      );
      if (this.#done === this.#total) this.#out.write("\n");
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile !== this.#lastDecile) {
      this.#lastDecile = decile;
      this.#out.write(
        `${(share * 100).toFixed(0)}% ${this.#done}/${this.#total} ${Math.round(rate)}/s\n`,
      );
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
