/** Monotonic milliseconds for durations; Date.now() stays the clock for deadlines. */
export const monotonicNow: () => number =
  typeof performance !== "undefined" ? () => performance.now() : () => Date.now();
