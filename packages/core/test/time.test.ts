import { describe, expect, it } from "vitest";
import { settledBy } from "../src/util/time.ts";

describe("settledBy", () => {
  it("is true once the promise settles, either way, before the deadline", async () => {
    expect(await settledBy(Promise.resolve(1), Date.now() + 60_000)).toBe(true);
    expect(await settledBy(Promise.reject(new Error("x")), Date.now() + 60_000)).toBe(true);
  });

  it("is false when the deadline comes first", async () => {
    expect(await settledBy(new Promise(() => {}), Date.now() + 20)).toBe(false);
    expect(await settledBy(new Promise(() => {}), Date.now() - 1)).toBe(false);
  });

  it("waits without a timer for a deadline no timer can hold (no 1 ms overflow)", async () => {
    let release!: () => void;
    const later = new Promise<void>((r) => {
      release = r;
    });
    const result = settledBy(later, Number.POSITIVE_INFINITY);
    const far = settledBy(later, Date.now() + 2 ** 32);
    // Both are still waiting after a macrotask; an overflowed timer would have fired.
    await new Promise((r) => setTimeout(r, 5));
    release();
    expect(await result).toBe(true);
    expect(await far).toBe(true);
  });
});
