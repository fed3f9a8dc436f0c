// The core runtime (createClient / createWorker) on the Redis broker. Skipped while
// @platoon/core does not export them yet.
import * as core from "@platoon/core";
import { task } from "@platoon/core";
import { waitFor } from "@platoon/testkit";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";
import { uniqueQueue } from "./helpers.ts";

const api = core as unknown as {
  createClient?: (o: object) => Promise<any>;
  createWorker?: (o: object) => Promise<any>;
};
const available = typeof api.createClient === "function" && typeof api.createWorker === "function";

const tasks = {
  double: task("double", async (n: number) => n * 2),
};

let server: RedisServer;
beforeAll(async () => {
  if (available) server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!available)("core worker on the Redis broker", () => {
  it("runs jobs end to end, and dead-letters corrupt bytes with a reason, then goes on", async () => {
    const broker = createRedisBroker({ url: server.url });
    const queue = uniqueQueue("worker");
    const client = await api.createClient!({ broker, queue });
    // Bytes that no codec wrote, planted straight into the queue.
    await broker.enqueue(queue, [
      { id: "corrupt", task: "double", payload: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]) },
    ]);
    const worker = await api.createWorker!({
      broker,
      tasks,
      queue,
      concurrency: 8,
      leaseMs: 5_000,
    });
    try {
      const handles = await Promise.all([1, 2, 3].map((n) => client.enqueue("double", n)));
      expect(await Promise.all(handles.map((h: any) => h.result({ timeoutMs: 30_000 })))).toEqual([
        2, 4, 6,
      ]);
      await waitFor(async () => (await broker.stats(queue)).dead > 0, {
        timeoutMs: 30_000,
        what: "the corrupt job dead-lettered",
      });
      const [dead] = await broker.listDead(queue);
      expect(dead?.id).toBe("corrupt");
      expect(dead?.error.fault).toBe("UndecodablePayload");
      expect(dead?.error.message.length).toBeGreaterThan(0);
      // Still working after it.
      const after = await client.enqueue("double", 21);
      expect(await after.result({ timeoutMs: 30_000 })).toBe(42);
    } finally {
      await worker.stop();
      await broker.close();
    }
  }, 120_000);
});
