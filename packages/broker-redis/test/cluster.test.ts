import { spawnSync } from "node:child_process";
import { brokerSuite } from "@platoon/testkit";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";
import { job, uniqueQueue } from "./helpers.ts";
import { RedisClusterFixture } from "./redis-cluster.ts";

// The conformance suite on a three-master Redis Cluster: no script may touch two slots.
const hasRedisCli = spawnSync("redis-cli", ["--version"]).status === 0;

let cluster: RedisClusterFixture | undefined;
const clients: Cluster[] = [];
beforeAll(async () => {
  if (hasRedisCli) cluster = await RedisClusterFixture.start();
}, 180_000); // three servers and a cluster to form, on a loaded CI machine
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

const connect = () => {
  const c = new Cluster(cluster!.startupNodes);
  clients.push(c);
  return c;
};

describe.skipIf(!hasRedisCli)("Redis Cluster", () => {
  brokerSuite(
    { describe, it, expect, afterAll },
    {
      name: "redis cluster",
      create: () => createRedisBroker({ client: connect() }),
      propertyRuns: 5,
    },
  );

  it("spreads queues over the cluster's masters", async () => {
    const b = createRedisBroker({ client: connect() });
    const queues = Array.from({ length: 12 }, () => uniqueQueue("spread"));
    for (const q of queues) await b.enqueue(q, [job("x")]);
    const holding = await Promise.all(
      cluster!.nodes.map(async (n) => {
        const { Redis } = await import("ioredis");
        const r = new Redis(n.port, "127.0.0.1");
        const size = await r.dbsize();
        r.disconnect();
        return size;
      }),
    );
    expect(holding.filter((n) => n > 0).length).toBeGreaterThan(1);
    await b.close();
  });
});
