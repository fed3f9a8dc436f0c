// Issue "Codecs": a fleet whose producers switch from json to msgpack+gzip while workers
// drain the old jobs keeps working, here on Redis (the memory-broker case lives in
// @platoon/serializer-msgpack).
import { createRedisBroker } from "@platoon/broker-redis";
import { createClient, createWorker, parseHeader, task } from "@platoon/core";
import { RedisServer } from "@platoon/testkit/redis-server";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const tasks = {
  echo: task("echo", (input: { n: number; at: Date; big: bigint; pad: string }) => ({
    n: input.n,
    // Proves the value arrived whole whichever codec carried it.
    kinds: [input.at instanceof Date, typeof input.big],
  })),
};
const input = (n: number) => ({ n, at: new Date(n), big: BigInt(n) ** 5n, pad: "x".repeat(300) });

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

describe("mixed fleet on Redis", () => {
  it("producers switch from json to msgpack+gzip while a json-configured worker drains both", async () => {
    const queue = `mixed-${Date.now().toString(36)}`;
    const broker = createRedisBroker({ url: server.url });
    const raw = new Redis(server.url);
    const before = await createClient<typeof tasks>({ broker, queue, serializer: "json" });
    const after = await createClient<typeof tasks>({
      broker,
      queue,
      serializer: "msgpack",
      compressor: { name: "gzip", level: 6, threshold: 64 },
    });
    const old = await before.enqueueMany(
      "echo",
      Array.from({ length: 50 }, (_, n) => input(n)),
    );
    const fresh = await after.enqueueMany(
      "echo",
      Array.from({ length: 50 }, (_, n) => input(100 + n)),
    );
    // What waits in Redis really is mixed: read both kinds back raw from their keys.
    const headerOf = async (id: string) => {
      const stored = (await raw.hgetBuffer(broker.keys.jobs(queue), id))!;
      return parseHeader(new Uint8Array(stored.subarray(stored.indexOf(10) + 1)));
    };
    expect(await headerOf(old[0]!.id)).toMatchObject({ serializerId: "json", compressorId: "" });
    expect(await headerOf(fresh[0]!.id)).toMatchObject({
      serializerId: "msgpack",
      compressorId: "gzip",
    });
    const worker = await createWorker({ broker, queue, tasks, serializer: "json" });
    try {
      const results = await Promise.all(
        [...old, ...fresh].map((h) => h.result({ timeoutMs: 20_000 })),
      );
      expect(results.map((r) => r.n)).toEqual([
        ...Array.from({ length: 50 }, (_, n) => n),
        ...Array.from({ length: 50 }, (_, n) => 100 + n),
      ]);
      for (const r of results) expect(r.kinds).toEqual([true, "bigint"]);
      expect(worker.metrics().completed).toBe(100);
      expect(worker.metrics().deadLettered).toBe(0);
    } finally {
      await worker.stop();
      raw.disconnect();
      await broker.close();
    }
  }, 60_000);
});
