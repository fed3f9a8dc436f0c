import { describe, expect, it } from "vitest";
import { createPool, RemoteError, task } from "../src/index.ts";
import * as tasks from "./fixtures/tasks.ts";

describe("pool", () => {
  it("runs tasks and maps over inputs in order", async () => {
    const pool = await createPool<typeof tasks>({ tasks, concurrency: 8 });
    expect(await pool.run("add", { a: 20, b: 22 })).toBe(42);
    const out: number[] = [];
    for await (const v of pool.map("noop", [1, 2, 3, 4, 5])) out.push(v);
    expect(out).toEqual([1, 2, 3, 4, 5]);
    await pool.close();
  });

  it("yields as completed when unordered", async () => {
    const sleepy = {
      nap: task("nap", (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms))),
    };
    const pool = await createPool<typeof sleepy>({ tasks: sleepy, concurrency: 4 });
    const out: number[] = [];
    for await (const v of pool.map("nap", [80, 1, 40], { ordered: false })) out.push(v);
    expect(out).toEqual([1, 40, 80]);
    await pool.close();
  });

  it("never has more than maxQueue submitted and unfinished, and reads inputs lazily", async () => {
    let running = 0;
    let peak = 0;
    let read = 0;
    const slow = {
      work: task("work", async (n: number) => {
        running++;
        await new Promise((r) => setTimeout(r, 1));
        running--;
        return n;
      }),
    };
    const pool = await createPool<typeof slow>({ tasks: slow, concurrency: 3, maxQueue: 10 });
    function* inputs() {
      for (let i = 0; i < 200; i++) {
        read++;
        peak = Math.max(peak, pool.outstanding);
        yield i;
      }
    }
    let sum = 0;
    for await (const v of pool.map("work", inputs())) {
      sum += v;
      expect(read - v).toBeLessThanOrEqual(11);
    }
    expect(sum).toBe((199 * 200) / 2);
    expect(peak).toBeLessThanOrEqual(10);
    expect(running).toBe(0);
    await pool.close();
  });

  it("throws a failed job's RemoteError from the iterator", async () => {
    const pool = await createPool<typeof tasks>({ tasks });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const v of pool.map("fail", ["x"])) seen.push(String(v));
    })().catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.name).toBe("TypeError");
    await pool.close();
  });

  it("applies retries from options and the task", async () => {
    const pool = await createPool<typeof tasks>({ tasks });
    expect(await pool.run("flaky", 1)).toMatchObject({ attempt: 2 });
    expect(pool.metrics().retried).toBe(1);
    await pool.close();
  });

  it("rejects work after close", async () => {
    const pool = await createPool<typeof tasks>({ tasks });
    await pool.close();
    await expect(pool.run("noop", 1)).rejects.toThrow(/closed/);
  });
});
