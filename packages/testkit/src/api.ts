/**
 * The test functions a suite needs, passed in by the caller, so one suite runs under
 * vitest, `bun test` and `deno test` (with node:test and the `expect` package).
 */
export type TestFn = () => void | Promise<void>;
export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: TestFn, timeoutMs?: number) => void;
  /** A jest-compatible expect (vitest's, bun:test's, or the `expect` package). */
  expect: (actual: unknown) => any;
  beforeAll?: (fn: TestFn) => void;
  afterAll?: (fn: TestFn) => void;
  beforeEach?: (fn: TestFn) => void;
  afterEach?: (fn: TestFn) => void;
}

/** Waits for a condition with a timeout, instead of sleeping and hoping. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${options.timeoutMs ?? 5_000} ms waiting for ${options.what ?? "condition"}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 5));
  }
}
