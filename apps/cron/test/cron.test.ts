import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRedisBroker } from "@platoon/broker-redis";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, expect, it } from "vitest";

const APP = fileURLToPath(new URL("..", import.meta.url));
const BIN = fileURLToPath(new URL("../../../packages/cli/bin/platoon.mjs", import.meta.url));
let redis: RedisServer;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

async function waitFor(fn: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("runs the config's schedules against its own redis-server for a few ticks", async () => {
  const app = spawn(process.execPath, [BIN, "worker"], {
    cwd: APP,
    env: { ...process.env, PLATOON_BROKER: redis.url, PLATOON_CLI_SOURCE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  app.stdout.on("data", (c) => {
    log += c;
  });
  app.stderr.on("data", (c) => {
    log += c;
  });
  const exited = new Promise<number | null>((r) => app.on("exit", (code) => r(code)));
  const broker = createRedisBroker({ url: redis.url });
  const runs = async (id: string) => {
    const s = await broker.getSchedule(id);
    return s ? (JSON.parse(s.spec).runs as number) : 0;
  };
  try {
    await waitFor(
      async () =>
        (await runs("heartbeat")) >= 2 &&
        (await runs("report")) >= 1 &&
        (await runs("warm-up")) === 1,
      20_000,
      "heartbeat x2, report, warm-up",
    );
    await waitFor(
      async () => /warm-up: started/.test(log) && /report: 8 values, sum 31/.test(log),
      10_000,
      "task output",
    );
    expect((await broker.getSchedule("warm-up"))?.nextRunAt).toBeNull();
    expect(log).toMatch(/heartbeat from cron app/);
  } finally {
    app.kill("SIGTERM");
    expect(await exited).toBe(0);
    await broker.close();
  }
}, 45_000);
