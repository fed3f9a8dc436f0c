import type { TestApi } from "./api.ts";

/**
 * The test API of the runtime running this file: bun:test under Bun; node:test with the
 * `expect` package under Deno (and Node). Lane files (`test/*.lane.ts`) import it and
 * pass it to the suites, so the same suites run on all three runtimes.
 */
async function load(): Promise<TestApi> {
  if ("Bun" in globalThis) {
    const bun = (await import("bun:test" as string)) as any;
    return {
      describe: bun.describe,
      it: bun.it,
      expect: bun.expect,
      beforeAll: bun.beforeAll,
      afterAll: bun.afterAll,
      beforeEach: bun.beforeEach,
      afterEach: bun.afterEach,
    };
  }
  const nodeTest = (await import("node:test")) as any;
  const expectModule = (await import("expect")) as any;
  const expect = expectModule.expect ?? expectModule.default?.expect ?? expectModule.default;
  return {
    describe: nodeTest.describe,
    it: (name, fn, timeoutMs) => nodeTest.it(name, { timeout: timeoutMs ?? 30_000 }, fn),
    expect,
    beforeAll: nodeTest.before,
    afterAll: nodeTest.after,
    beforeEach: nodeTest.beforeEach,
    afterEach: nodeTest.afterEach,
  };
}

export const api: TestApi = await load();
