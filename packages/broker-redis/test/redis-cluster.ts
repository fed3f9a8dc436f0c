import { spawnSync } from "node:child_process";
import { waitFor } from "@platoon/testkit";
import { RedisServer } from "@platoon/testkit/redis-server";
import { Redis } from "ioredis";

/**
 * A throwaway three-master Redis Cluster on free ports of 127.0.0.1 (no replicas), made with
 * `redis-cli --cluster create`. For proving that every script stays inside one slot.
 */
export class RedisClusterFixture {
  readonly nodes: RedisServer[];

  private constructor(nodes: RedisServer[]) {
    this.nodes = nodes;
  }

  static async start(): Promise<RedisClusterFixture> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(
          await RedisServer.start({
            // Nodes that miss heartbeats this long are marked failing: generous, as a loaded CI
            // machine can starve a node for seconds, and these tests never exercise failover.
            extraArgs: ["--cluster-enabled", "yes", "--cluster-node-timeout", "15000"],
          }),
        );
      }
      const created = spawnSync(
        "redis-cli",
        [
          "--cluster",
          "create",
          ...nodes.map((n) => `127.0.0.1:${n.port}`),
          "--cluster-replicas",
          "0",
          "--cluster-yes",
        ],
        { encoding: "utf8" },
      );
      if (created.status !== 0)
        throw new Error(`redis-cli --cluster create: ${created.stdout}${created.stderr}`);
      // Wait until every node agrees the cluster is up.
      for (const n of nodes) {
        const probe = new Redis(n.port, "127.0.0.1");
        try {
          await waitFor(async () => /cluster_state:ok/.test(await probe.cluster("INFO")), {
            timeoutMs: 60_000,
            intervalMs: 50,
            what: `cluster_state:ok on node ${n.port}`,
          });
        } finally {
          probe.disconnect();
        }
      }
      return new RedisClusterFixture(nodes);
    } catch (error) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw error;
    }
  }

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
