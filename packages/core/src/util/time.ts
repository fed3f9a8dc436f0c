/** Monotonic milliseconds for durations; Date.now() stays the clock for deadlines. */
export const monotonicNow: () => number =
  typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/**
 * True once the promise settles (either way), false if the epoch-ms deadline comes first.
 * For bounded waits on calls that may be retrying through an outage.
 */
export function settledBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
