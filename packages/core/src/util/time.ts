/** Monotonic milliseconds for durations; Date.now() stays the clock for deadlines. */
export const monotonicNow: () => number =
  typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * True once the promise settles (either way), false if the epoch-ms deadline comes first.
 * For bounded waits on calls that may be retrying through an outage.
 */
export function settledBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  // No deadline (or one past a timer's range, which would overflow and fire after 1 ms).
  if (!(deadline - Date.now() < MAX_TIMER_MS))
    return promise.then(
      () => true,
      () => true,
    );
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
