import { task } from "@platoon/core";

/** Every 2 seconds: proves the fleet is alive. */
export const heartbeat = task("heartbeat", (input: { from: string }) => {
  const at = new Date().toISOString();
  console.log(`[cron] heartbeat from ${input.from} at ${at}`);
  return at;
});

/** On the 5th second of every 5: a small report over a window of numbers. */
export const report = task("report", (input: { values: number[] }) => {
  const sum = input.values.reduce((a, b) => a + b, 0);
  console.log(`[cron] report: ${input.values.length} values, sum ${sum}`);
  return { sum, mean: sum / Math.max(1, input.values.length) };
});

/** Once, a few seconds after start: a warm-up. */
export const warmUp = task("warmUp", (input: { reason: string }) => {
  console.log(`[cron] warm-up: ${input.reason}`);
  return true;
});
