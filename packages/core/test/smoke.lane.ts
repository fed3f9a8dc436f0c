import { createCodec, createPool, jsonSerializer, RemoteError, task } from "@platoon/core";
import { api } from "@platoon/testkit/lane";

const { describe, it, expect } = api;
describe("lane smoke", () => {
  it("round trips", async () => {
    const codec = await createCodec();
    const bytes = await codec.encode({ a: new Date(0), b: 1n, m: new Map([[1, 2]]) });
    expect(await codec.decode(bytes)).toEqual({ a: new Date(0), b: 1n, m: new Map([[1, 2]]) });
    expect(jsonSerializer.id).toBe("json");
  });

  it("runs an inline pool on the direct lane: map, retries, timeouts", async () => {
    let calls = 0;
    const tasks = {
      double: task("double", async (x: number) => x * 2),
      flaky: task(
        "flaky",
        (_: null, ctx) => {
          calls++;
          if (ctx.attempt < 2) throw new Error("once");
          return ctx.attempt;
        },
        { attempts: 2 },
      ),
      hang: task("hang", () => new Promise<never>(() => {}), { timeoutMs: 10 }),
    };
    const pool = await createPool<typeof tasks>({ tasks });
    expect(pool.mode).toBe("direct");
    const out: number[] = [];
    for await (const v of pool.map("double", [1, 2, 3])) out.push(v);
    expect(out).toEqual([2, 4, 6]);
    expect(await pool.run("flaky", null)).toBe(2);
    expect(calls).toBe(2);
    const error = await pool.run("hang", undefined).catch((e) => e);
    expect(error instanceof RemoteError && error.fault === "TaskTimedOut").toBe(true);
    await pool.close();
  });
});
