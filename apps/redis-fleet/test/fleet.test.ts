import { createConnection } from "node:net";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleet } from "../src/fleet.ts";
import { checkDrained, checkSummary, checkWireFormat } from "./checks.ts";

let redis: RedisServer;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("redis-fleet sample", () => {
  it("runs 500 jobs on 2 worker processes through Redis, each exactly once", async () => {
    const queue = "fleet-test";
    const summary = await runFleet({
      redisUrl: redis.url,
      workers: 2,
      jobs: 500,
      batch: 100,
      concurrency: 20,
      queue,
    });
    checkSummary(expect, summary, 500, 2);
    expect(summary.throwawayRedis).toBe(false);
    expect(summary.queue).toBe(queue);
    await checkDrained(expect, redis.url, queue);
  }, 30_000);

  it("keeps jobs on Redis as msgpack + gzip, and a worker process runs them", async () => {
    await checkWireFormat(expect, redis.url);
  }, 30_000);

  it("starts and stops its own redis-server when given no URL", async () => {
    const summary = await runFleet({ workers: 1, jobs: 50, batch: 20 });
    checkSummary(expect, summary, 50, 1);
    expect(summary.throwawayRedis).toBe(true);
    expect(summary.redisUrl).not.toMatch(/:6379$/);
    expect(await refused(Number(new URL(summary.redisUrl).port))).toBe(true);
  }, 30_000);
});
