import { createCodec } from "@platoon/core";
import { ThreadExecutor } from "@platoon/executor-thread";
import {
  executorSuite,
  executorFixtureTasks as fixtureTasks,
  tsFixtureTasks,
} from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";

executorSuite(api, {
  name: "thread (lane)",
  create: () => new ThreadExecutor({ size: 2 }),
  createSingle: () => new ThreadExecutor({ size: 1 }),
  capabilities: { canInterruptSyncLoop: true, isolatesCrashes: true, wrapsLoadErrors: true },
  chaosCount: 300,
  typescriptTasksModule: tsFixtureTasks,
});

api.describe("thread executor (lane): memory", () => {
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
