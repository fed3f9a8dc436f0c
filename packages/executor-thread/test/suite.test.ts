import { executorSuite } from "@platoon/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { ThreadExecutor } from "../src/index.ts";

executorSuite(
  { describe, it, expect, afterAll },
  {
    name: "thread",
    create: () => new ThreadExecutor({ size: 2 }),
    createSingle: () => new ThreadExecutor({ size: 1 }),
    capabilities: { canInterruptSyncLoop: true, isolatesCrashes: true, wrapsLoadErrors: true },
  },
);
