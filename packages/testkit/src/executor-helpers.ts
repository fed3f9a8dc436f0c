import { type Codec, createCodec, type ExecuteOutcome, type Executor } from "@platoon/core";
import { executorFixtures } from "./executor-suite.ts";

/** The testkit's fixture tasks module (add1, hang, leak, stubborn, …), as a file URL. */
export const executorFixtureTasks = executorFixtures.tasks;
/** A TypeScript tasks module, to test loading `.ts` on every runtime. */
export const tsFixtureTasks = new URL("../fixtures/ts-tasks.ts", import.meta.url).pathname;

let jobs = 0;

/** Starts an executor on a tasks module; `run` encodes an input and executes one job. */
export async function startExecutor(executor: Executor, tasksModule: string) {
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

export async function decodedOutcome(codec: Codec, outcome: ExecuteOutcome): Promise<unknown> {
  if (outcome.status !== "ok") throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
  return codec.decode(outcome.result);
}

export const faultOf = (o: ExecuteOutcome) => (o.status === "error" ? o.error.fault : undefined);

/** A per-worker counter summed over the executor's workers. */
export function sumWorkerStats(
  executor: Executor,
  key: "crashes" | "restarts" | "timeouts" | "memoryKills" | "tasks",
): number {
  return executor.stats().workers.reduce((n, w) => n + w[key], 0);
}
