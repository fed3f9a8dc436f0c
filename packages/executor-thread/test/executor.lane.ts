import { createCodec } from "@platoon/core";
import { ThreadExecutor } from "@platoon/executor-thread";
import { executorSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";

executorSuite(api, {
  name: "thread (lane)",
  create: () => new ThreadExecutor({ size: 2 }),
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
          tasksModule: new URL("./fixtures/ts-tasks.ts", import.meta.url),
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
