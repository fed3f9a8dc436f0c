import { executorSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { ProcessExecutor } from "../src/index.ts";

executorSuite(
  { describe, it, expect },
  {
    name: "process",
    create: () => new ProcessExecutor({ size: 2, killGraceMs: 300 }),
    capabilities: { canInterruptSyncLoop: true, isolatesCrashes: true, wrapsLoadErrors: true },
  },
);
