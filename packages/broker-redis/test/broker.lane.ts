// The broker conformance suite under Deno and Bun (node scripts/runtime-lane.mjs deno|bun),
// against a redis-server this file starts itself (node:child_process works in both).
import { brokerSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";
import { RedisServer } from "@platoon/testkit/redis-server";
import { createRedisBroker } from "../src/index.ts";

const server = await RedisServer.start();
api.afterAll?.(async () => {
  await server.stop();
});

brokerSuite(api, {
  name: "redis",
  create: () => createRedisBroker({ url: server.url }),
  propertyRuns: 10,
});
