import { createCodec } from "@platoon/core";
import { ThreadExecutor } from "@platoon/executor-thread";
import {
  executorSuite,
  executorFixtureTasks as fixtureTasks,
  tsFixtureTasks,
} from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";

// The testkit's fixture tasks (add1, exit, leakBuffers…), next door in the monorepo.

executorSuite(api, {
  name: "thread (lane)",
  create: () => new ThreadExecutor({ size: 2 }),
  createSingle: () => new ThreadExecutor({ size: 1 }),
  capabilities: { canInterruptSyncLoop: true, isolatesCrashes: true, wrapsLoadErrors: true },
  chaosCount: 300,
});

api.describe("thread executor (lane): TypeScript module and crash", () => {
  api.it(
    "runs a .ts tasks module and survives a crash",
    async () => {
      const codec = await createCodec();
      const executor = new ThreadExecutor({ size: 1 });
      try {
        await executor.start({
          tasksModule: tsFixtureTasks,
          codec,
          codecSpec: codec.spec(),
        });
        const run = async (task: string, input: unknown) =>
          executor.execute({
            jobId: task,
            queue: "lane",
            task,
            payload: await codec.encode(input),
            attempt: 1,
            maxAttempts: 1,
          });
        const crashed = await run("exit", { code: 2 });
        api.expect(crashed.status === "error" && crashed.error.fault).toBe("WorkerCrashed");
        const ok = await run("norm", { x: 6, y: 8 });
        api.expect(ok.status === "ok" && (await codec.decode(ok.result))).toBe(10);
      } finally {
        await executor.close();
      }
    },
    30_000,
  );
});

api.describe("thread executor (lane): innocent neighbours", () => {
  api.it(
    "re-runs jobs that shared a crashing thread alone; only the crasher is charged",
    async () => {
      const codec = await createCodec();
      const executor = new ThreadExecutor({ size: 1 });
      try {
        await executor.start({ tasksModule: fixtureTasks, codec, codecSpec: codec.spec() });
        const run = async (task: string, input: unknown) =>
          executor.execute({
            jobId: task,
            queue: "lane",
            task,
            payload: await codec.encode(input),
            attempt: 1,
            maxAttempts: 1,
          });
        const outcomes = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            i === 50 ? run("exit", { code: 7 }) : run("add1", i),
          ),
        );
        const faults = outcomes.map((o) => (o.status === "error" ? o.error.fault : undefined));
        api.expect(faults[50]).toBe("WorkerCrashed");
        api.expect(faults.filter(Boolean)).toEqual(["WorkerCrashed"]);
        const values = await Promise.all(
          outcomes.map((o, i) => (i === 50 || o.status !== "ok" ? i + 1 : codec.decode(o.result))),
        );
        api.expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      } finally {
        await executor.close();
      }
    },
    60_000,
  );

  api.it(
    "stops a task that leaks typed arrays (external memory) at maxMemoryMb",
    async () => {
      const codec = await createCodec();
      const executor = new ThreadExecutor({ size: 1, maxMemoryMb: 160 });
      try {
        await executor.start({ tasksModule: fixtureTasks, codec, codecSpec: codec.spec() });
        const outcome = await executor.execute({
          jobId: "leak",
          queue: "lane",
          task: "leakBuffers",
          payload: await codec.encode({ mb: 16, maxMb: 4096 }),
          attempt: 1,
          maxAttempts: 1,
        });
        api.expect(outcome.status === "error" && outcome.error.fault).toBe("MemoryLimitExceeded");
      } finally {
        await executor.close();
      }
    },
    60_000,
  );
});
