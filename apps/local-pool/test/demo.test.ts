import { describe, expect, it } from "vitest";
import { runDemo } from "../src/demo.ts";

// 664,579 primes below 10 million; below 20,000 there are 2,262.
describe("local-pool sample", () => {
  it("counts primes correctly on the inline executor", async () => {
    const summary = await runDemo({ executor: "inline", jobs: 20, workers: 2, span: 1000 });
    expect(summary.primes).toBe(2262);
    expect(summary.metrics.completed).toBe(20);
  });

  // On threads, leakOnce grows typed arrays (outside the V8 heap): the thread's own
  // measurement of heap + external memory catches it.
  it.each(["process", "thread"] as const)(
    "survives a crashing and a leaking task on the %s executor",
    async (executor) => {
      const summary = await runDemo({ executor, jobs: 20, workers: 2, span: 1000 });
      expect(summary.primes).toBe(2262);
      expect(summary.crash).toMatch(/survived a crash/);
      expect(summary.leak).toMatch(/survived a leak/);
      const workers = summary.metrics.executor.workers;
      expect(workers.reduce((n, w) => n + w.crashes, 0)).toBe(1);
      expect(workers.reduce((n, w) => n + w.memoryKills, 0)).toBe(1);
      expect(summary.metrics.deadLettered).toBe(0);
    },
    60_000,
  );
});
