import { executorSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { ThreadExecutor } from "../src/index.ts";

executorSuite(
  { describe, it, expect },
  {
    name: "thread",
    create: () => new ThreadExecutor({ size: 2 }),
    capabilities: { canInterruptSyncLoop: true, isolatesCrashes: true, wrapsLoadErrors: true },
  },
);
