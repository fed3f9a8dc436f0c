import { task } from "@platoon/core";

/** Counts primes in [from, to) by trial division: honest CPU work, no I/O. */
export const countPrimes = task("countPrimes", ({ from, to }: { from: number; to: number }) => {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
});

/** Kills its worker on the first attempt; the pool replaces the worker and retries. */
export const crashOnce = task(
  "crashOnce",
  (_: null, ctx) => {
    if (ctx.attempt === 1)
      (globalThis as { process?: { exit(code: number): never } }).process?.exit(13);
    return `survived a crash, done on attempt ${ctx.attempt}`;
  },
  { attempts: 3 },
);

const hoard: Uint8Array[] = [];

/** Leaks memory on the first attempt until the memory limit kills its worker. */
export const leakOnce = task(
  "leakOnce",
  async (_: null, ctx) => {
    if (ctx.attempt === 1) {
      for (let i = 0; i < 400; i++) {
        hoard.push(new Uint8Array(16 * 1024 * 1024).fill(i));
        await new Promise((r) => setTimeout(r, 5));
      }
      return "the leak was never stopped";
    }
    return `survived a leak, done on attempt ${ctx.attempt}`;
  },
  { attempts: 3 },
);
