import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Codec, createCodec, type ExecuteOutcome, type Executor } from "@platoon/core";

const require = createRequire(import.meta.url);

/** The testkit's fixture tasks module (add1, hang, leak, stubborn, …). */
export const fixtureTasks = pathToFileURL(
  join(dirname(require.resolve("@platoon/testkit/package.json")), "fixtures", "executor-tasks.mjs"),
).href;
export const tsTasks = new URL("./fixtures/ts-tasks.ts", import.meta.url).pathname;

let jobs = 0;

export async function startWith(executor: Executor, tasksModule: string) {
  const codec = await createCodec();
  const manifest = await executor.start({ tasksModule, codec, codecSpec: codec.spec() });
  const run = async (task: string, input: unknown, extra: Record<string, unknown> = {}) =>
    executor.execute({
      jobId: `t-${++jobs}`,
      queue: "test",
      task,
      payload: await codec.encode(input),
      attempt: 1,
      maxAttempts: 1,
      ...extra,
    });
  return { codec, manifest, run };
}

export async function decoded(codec: Codec, outcome: ExecuteOutcome): Promise<unknown> {
  if (outcome.status !== "ok") throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
  return codec.decode(outcome.result);
}

export const faultOf = (o: ExecuteOutcome) => (o.status === "error" ? o.error.fault : undefined);

export function sum(
  executor: Executor,
  key: "crashes" | "restarts" | "timeouts" | "memoryKills" | "tasks",
) {
  return executor.stats().workers.reduce((n, w) => n + w[key], 0);
}
