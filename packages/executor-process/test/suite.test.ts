import { executorSuite } from "@platoon/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { ProcessExecutor } from "../src/index.ts";

executorSuite(
  { describe, it, expect, afterAll },
  {
    name: "process",
    create: () => new ProcessExecutor({ size: 2, killGraceMs: 200 }),
    createSingle: () => new ProcessExecutor({ size: 1, killGraceMs: 200 }),
    capabilities: { canInterruptSyncLoop: true, isolatesCrashes: true, wrapsLoadErrors: true },
    // The 1,000 faulty tasks; each worker-killing fault costs a process start
    // (Node + tsx, ~0.5 s of CPU), so this case takes ~15 s.
    chaosCount: 1000,
  },
);
