import { api } from "@platoon/testkit/lane";
import { runDemo } from "../src/demo.ts";

const { describe, it, expect } = api;

describe("local-pool sample on this runtime", () => {
  it("counts primes on the inline executor", async () => {
    const summary = await runDemo({ executor: "inline", jobs: 20, workers: 2, span: 1000 });
    expect(summary.primes).toBe(2262);
  });

  it("counts primes and survives a crash and a leak on the process executor", async () => {
    const summary = await runDemo({ executor: "process", jobs: 20, workers: 2, span: 1000 });
    expect(summary.primes).toBe(2262);
    expect(summary.crash).toMatch(/survived a crash/);
    expect(summary.leak).toMatch(/survived a leak/);
  }, 60_000);
});
