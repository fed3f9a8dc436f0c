import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ConfigError,
  createClient,
  MemoryBroker,
  RemoteError,
  TimeoutError,
} from "../src/index.ts";
import { setup } from "./helpers.ts";

/** Counts the broker.enqueue calls made from now on. */
function countEnqueues(broker: MemoryBroker): () => number {
  let calls = 0;
  const enqueue = broker.enqueue.bind(broker);
  broker.enqueue = (q, jobs) => {
    calls++;
    return enqueue(q, jobs);
  };
  return () => calls;
}

describe("client", () => {
  it("enqueues a job and gets its result", async () => {
    const { client, stop } = await setup();
    const job = await client.enqueue("add", { a: 2, b: 3 });
    expect(await job.result({ timeoutMs: 5_000 })).toBe(5);
    expect(await client.run("add", { a: 1, b: 1 })).toBe(2);
    await stop();
  });

  it("enqueues many in one batch and in bulk across tasks", async () => {
    const { client, broker, stop } = await setup();
    const calls = countEnqueues(broker);
    const handles = await client.enqueueMany("noop", [1, 2, 3, 4]);
    expect(calls()).toBe(1);
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([1, 2, 3, 4]);
    const mixed = await client.enqueueBulk([
      { task: "add", input: { a: 1, b: 2 } },
      { task: "noop", input: 9 },
    ]);
    expect(await Promise.all(mixed.map((h) => h.result()))).toEqual([3, 9]);
    await stop();
  });

  it("coalesces enqueues made in the same tick into one broker call", async () => {
    const { client, broker, stop } = await setup();
    const calls = countEnqueues(broker);
    const handles = await Promise.all([1, 2, 3].map((n) => client.enqueue("noop", n)));
    expect(calls()).toBe(1);
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([1, 2, 3]);
    await stop();
  });

  it("rejects with a RemoteError that keeps the task error's name, message and stack", async () => {
    const { client, stop } = await setup();
    const job = await client.enqueue("fail", "bad input");
    const error = await job.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).name).toBe("TypeError");
    expect((error as RemoteError).message).toContain("bad input");
    expect((error as RemoteError).stack).toContain("fixtures/tasks.ts");
    expect((error as RemoteError).code).toBe("REMOTE");
    await stop();
  });

  it("is idempotent on idempotencyKey", async () => {
    const { client, stop } = await setup();
    const a = await client.enqueue("noop", 1, { idempotencyKey: "once" });
    const b = await client.enqueue("noop", 2, { idempotencyKey: "once" });
    expect(b.id).toBe(a.id);
    expect(b.duplicate).toBe(true);
    expect(await b.result()).toBe(1);
    await stop();
  });

  it("cancels a delayed job and its result rejects with CancelledError", async () => {
    const { client, stop } = await setup();
    const job = await client.enqueue("noop", 1, { delayMs: 60_000 });
    expect((await job.info())?.state).toBe("delayed");
    expect(await job.cancel()).toBe(true);
    await expect(job.result()).rejects.toBeInstanceOf(CancelledError);
    await stop();
  });

  it("times out waiting for a result with a TimeoutError", async () => {
    const { client, stop } = await setup();
    const job = await client.enqueue("noop", 1, { delayMs: 60_000 });
    await expect(job.result({ timeoutMs: 30 })).rejects.toBeInstanceOf(TimeoutError);
    await stop();
  });

  it("runs higher priority first", async () => {
    const broker = new MemoryBroker();
    const client = await createClient({ broker, queue: "p" });
    const low = await client.enqueue("noop", "low");
    const high = await client.enqueue("noop", "high", { priority: 10 });
    const [first] = await broker.reserve("p", { max: 1, leaseMs: 1000 });
    expect(first!.id).toBe(high.id);
    expect(low.id).not.toBe(high.id);
    await broker.close();
  });

  it("fire-and-forget keeps no result; callbacks get the value", async () => {
    const { client, broker, queue, stop } = await setup();
    const id = await client.send("noop", 5);
    await new Promise<void>((resolve, reject) => {
      client.enqueueWithCallback("noop", 6, (error, value) => {
        if (error) reject(error);
        else {
          expect(value).toBe(6);
          resolve();
        }
      });
    });
    expect(await broker.getResult(queue, id)).toBeUndefined();
    await stop();
  });

  it("refuses bad options with clear errors", async () => {
    const broker = new MemoryBroker();
    await expect(createClient({} as never)).rejects.toThrow(/needs a broker/);
    const client = await createClient({ broker });
    await expect(client.enqueue("noop", 1, { attempts: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(client.enqueue("", 1)).rejects.toThrow(/non-empty/);
    await expect(client.enqueue("noop", 1, { runAt: new Date("nope") })).rejects.toThrow(/runAt/);
    await broker.close();
  });
});
