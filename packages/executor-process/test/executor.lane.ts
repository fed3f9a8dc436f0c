import { ProcessExecutor } from "@platoon/executor-process";
import { executorSuite, tsFixtureTasks } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";

executorSuite(api, {
  name: "process (lane)",
  create: () => new ProcessExecutor({ size: 2, killGraceMs: 300 }),
  createSingle: () => new ProcessExecutor({ size: 1, killGraceMs: 300 }),
  capabilities: { canInterruptSyncLoop: true, isolatesCrashes: true, wrapsLoadErrors: true },
  chaosCount: 300,
  typescriptTasksModule: tsFixtureTasks,
});
