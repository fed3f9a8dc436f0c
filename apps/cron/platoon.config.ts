import type { PlatoonConfig } from "@platoon/cli";

/**
 * `npm start` runs `platoon worker`, which reads this file: a supervised worker on the
 * "cron" queue, and a scheduler that declares these schedules (unchanged ones keep their
 * state across restarts) and fires them, exactly once per tick however many run.
 */
const config: PlatoonConfig = {
  broker: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  queue: "cron",
  tasks: "./src/tasks.ts",
  executor: "inline",
  heartbeatMs: 1_000,
  schedules: [
    // Fixed interval.
    { id: "heartbeat", task: "heartbeat", every: "2s", input: { from: "cron app" } },
    // Cron with a seconds field: seconds 0, 5, 10, … of every minute. No overlap.
    {
      id: "report",
      task: "report",
      cron: "*/5 * * * * *",
      timezone: "UTC",
      noOverlap: true,
      input: { values: [3, 1, 4, 1, 5, 9, 2, 6] },
      job: { attempts: 3, timeoutMs: 10_000 },
    },
    // One shot, three seconds after this start.
    {
      id: "warm-up",
      task: "warmUp",
      at: new Date(Math.ceil(Date.now() / 1_000) * 1_000 + 3_000),
      input: { reason: "started" },
    },
  ],
};

export default config;
