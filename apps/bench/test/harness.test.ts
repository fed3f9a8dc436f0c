import { afterEach, describe, expect, it, vi } from "vitest";
import { percentiles, report, reportRatios } from "../src/measure.ts";
import inproc from "../src/scenarios/inproc.ts";

const FIELDS = ["scenario", "system", "n", "ops_per_s", "p50_ms", "p99_ms", "rss_mb"];

function captureLines(): { lines: () => Record<string, unknown>[] } {
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  return { lines: () => spy.mock.calls.map((c) => JSON.parse(String(c[0]))) };
}

describe("bench harness", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints one JSON line per measurement with the agreed fields", () => {
    const out = captureLines();
    report({
      scenario: "s",
      system: "platoon",
      n: 10,
      ops_per_s: 12.6,
      p50_ms: 0.1234,
      p99_ms: 1,
      rss_mb: 50.4,
    });
    const [line] = out.lines();
    expect(Object.keys(line!)).toEqual(FIELDS);
    expect(line).toMatchObject({ ops_per_s: 13, p50_ms: 0.123, rss_mb: 50 });
  });

  it("prints Platoon's rate over each peer's as ratios", () => {
    const out = captureLines();
    const base = { scenario: "s", n: 1, p50_ms: null, p99_ms: null, rss_mb: 1 };
    reportRatios("s", [
      { ...base, system: "platoon", ops_per_s: 300 },
      { ...base, system: "peer-a", ops_per_s: 100 },
      { ...base, system: "peer-b", ops_per_s: 150 },
    ]);
    expect(out.lines()).toEqual([
      { scenario: "s", system: "platoon", vs: "peer-a", ratio: 3 },
      { scenario: "s", system: "platoon", vs: "peer-b", ratio: 2 },
    ]);
  });

  it("computes percentiles", () => {
    expect(percentiles([])).toEqual({ p50: null, p99: null });
    const p = percentiles(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(p).toEqual({ p50: 51, p99: 100 });
  });

  it("runs the inproc scenario end to end on a small n", async () => {
    const out = captureLines();
    const results = await inproc.run(["2000"]);
    expect(results.map((r) => r.system).sort()).toEqual([
      "p-queue",
      "platoon",
      "platoon (sync task)",
    ]);
    for (const r of out.lines()) {
      expect(Object.keys(r)).toEqual(FIELDS);
      expect(r.n).toBe(2000);
      expect(r.ops_per_s).toBeGreaterThan(0);
    }
  }, 60_000);
});
