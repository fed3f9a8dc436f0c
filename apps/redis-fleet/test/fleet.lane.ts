import { api } from "@platoon/testkit/lane";
import { RedisServer } from "@platoon/testkit/redis-server";
import { runFleet } from "../src/fleet.ts";
import { checkDrained, checkSummary, checkWireFormat } from "./checks.ts";

const { describe, it, expect } = api;

// Worker processes run on this same runtime (process.execPath): deno run, or bun.
describe("redis-fleet sample on this runtime", () => {
  it("runs 300 jobs on 2 worker processes, each exactly once, msgpack + gzip on Redis", async () => {
    const redis = await RedisServer.start();
    try {
      const queue = "fleet-lane";
      const summary = await runFleet({
        redisUrl: redis.url,
        workers: 2,
        jobs: 300,
        batch: 100,
        concurrency: 20,
        queue,
      });
      checkSummary(expect, summary, 300, 2);
      await checkDrained(expect, redis.url, queue);
      await checkWireFormat(expect, redis.url);
    } finally {
      await redis.stop();
    }
  }, 60_000);
});
