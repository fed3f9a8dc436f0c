import { brokerSuite } from "@platoon/testkit";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

brokerSuite(
  { describe, it, expect, afterAll },
  { name: "redis", create: () => createRedisBroker({ url: server.url }) },
);
