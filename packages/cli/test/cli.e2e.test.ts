import { createRedisBroker } from "@platoon/broker-redis";
import type { Broker } from "@platoon/core";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platoon, startPlatoon, waitFor } from "./helpers.ts";

let redis: RedisServer;
let broker: Broker;
let worker: ReturnType<typeof startPlatoon>;
const Q = "e2e";

const cli = (...args: string[]) => platoon([...args, "--broker", redis.url, "--queue", Q]);
const json = async (...args: string[]) => {
  const r = await cli(...args, "--json");
  if (r.code !== 0) throw new Error(`platoon ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const liveWorkers = async () => {
  const list = (await broker.listWorkers?.()) ?? [];
  return list.filter((w) => !w.gone && w.queues.includes(Q));
};

beforeAll(async () => {
  redis = await RedisServer.start();
  broker = createRedisBroker({ url: redis.url });
  worker = startPlatoon([
    "worker",
    "tasks.ts",
    "--broker",
    redis.url,
    "--queue",
    Q,
    "--executor",
    "inline",
    "--concurrency",
    "4",
    "--heartbeat-ms",
    "300",
  ]);
}, 30_000);

afterAll(async () => {
  worker?.child.kill("SIGKILL");
  await broker?.close();
  await redis?.stop();
});

describe("platoon CLI against a real Redis", () => {
  it("prints help and refuses bad usage with exit code 2", async () => {
    const help = await platoon(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Commands:[\s\S]*worker[\s\S]*schedule/);
    const sub = await platoon(["schedule", "--help"]);
    expect(sub.stdout).toMatch(/--every/);
    expect((await platoon(["status", "--bogus"])).code).toBe(2);
  });

  it("exits 3 when the broker cannot be reached", async () => {
    const r = await platoon(["status", "--broker", "redis://127.0.0.1:1"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the broker/);
  });

  it("a supervised worker shows in status --json", async () => {
    await waitFor(async () => (await liveWorkers()).length === 1, 60_000, "worker to register");
    const status = await json("status");
    const live = status.workers.filter((w: { gone?: boolean }) => !w.gone);
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ queues: [Q], concurrency: 4, state: "running" });
    expect(status.queues.map((q: { queue: string }) => q.queue)).toContain(Q);
  });

  it("enqueue runs a task and prints its result", async () => {
    const out = await json("enqueue", "double", "21", "--wait", "--wait-ms", "30000");
    expect(out.result).toBe(42);
    const many = await json("enqueue", "double", "1", "--count", "50");
    expect(many.ids).toHaveLength(50);
    await waitFor(async () => (await broker.stats(Q)).waiting === 0, 10_000, "jobs to drain");
  });

  it("dead list, retry and purge", async () => {
    const failed = await cli("enqueue", "fail", '"boom"', "--wait", "--wait-ms", "30000");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/boom/);
    const dead = await json("dead", "list");
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ task: "fail", error: { message: "boom" } });
    expect(await json("dead", "retry")).toEqual({ requeued: 1 });
    await waitFor(async () => (await broker.stats(Q)).dead === 1, 10_000, "dead again");
    expect(await json("dead", "purge")).toEqual({ deleted: 1 });
    expect(await json("dead", "list")).toEqual([]);
  });

  it("schedule add/list/rm: a fast interval schedule produces jobs", async () => {
    const added = await json("schedule", "add", "double", "5", "--every", "200ms", "--id", "fast");
    expect(added).toMatchObject({ id: "fast", task: "double", queue: Q });
    const runs = await waitFor(
      async () => {
        const s = await broker.getSchedule("fast");
        const n = s ? (JSON.parse(s.spec).runs as number) : 0;
        return n >= 3 ? n : 0;
      },
      15_000,
      "three ticks",
    );
    expect(runs).toBeGreaterThanOrEqual(3);
    const list = await json("schedule", "list");
    expect(list.map((s: { id: string }) => s.id)).toEqual(["fast"]);
    expect((await cli("schedule", "add", "double", "--every", "nope")).code).toBe(2);
    expect(await json("schedule", "rm", "fast")).toEqual({ removed: 1 });
    expect((await cli("schedule", "rm", "fast")).code).toBe(4);
  });

  it("pause and resume a queue", async () => {
    expect((await json("pause", Q)).paused).toBe(true);
    await waitFor(
      async () => {
        const s = await json("status");
        return s.workers.some((w: { state: string }) => w.state === "paused");
      },
      10_000,
      "paused worker",
    );
    await json("enqueue", "double", "2");
    await new Promise((r) => setTimeout(r, 300));
    expect((await broker.stats(Q)).waiting).toBe(1);
    expect((await json("resume", Q)).resumed).toBe(true);
    await waitFor(
      async () => (await broker.stats(Q)).waiting === 0,
      10_000,
      "resumed worker drains",
    );
  });

  it("the supervisor restarts a worker killed with SIGKILL, and stop all ends it", async () => {
    const [before] = (await json("status")).workers.filter((w: { gone?: boolean }) => !w.gone);
    expect(before.pid).toBeGreaterThan(0);
    process.kill(before.pid, "SIGKILL");
    await waitFor(
      async () => {
        const s = await json("status");
        return s.workers.find(
          (w: { pid: number; gone?: boolean }) => !w.gone && w.pid !== before.pid,
        );
      },
      60_000,
      "a restarted worker",
    );
    expect(worker.log()).toMatch(/restart 1/);
    const out = await enqueueAndWait();
    expect(out).toBe(6);
    const stopped = await json("stop", "all");
    expect(stopped.stopped).toHaveLength(1);
    expect(await waitFor(() => worker.exited.then((c) => `exit ${c}`), 30_000)).toBe("exit 0");
    expect(await liveWorkers()).toEqual([]);
  });
});

async function enqueueAndWait(): Promise<number> {
  return (await json("enqueue", "double", "3", "--wait", "--wait-ms", "30000")).result;
}
