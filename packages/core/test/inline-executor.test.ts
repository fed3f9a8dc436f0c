import { executorSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { InlineExecutor } from "../src/index.ts";

// Inline runs on the calling thread: it cannot stop a synchronous loop or survive
// process.exit, so those cases are off.
executorSuite(
  { describe, it, expect },
  {
    name: "inline",
    create: () => new InlineExecutor(),
    capabilities: {
      canInterruptSyncLoop: false,
      isolatesCrashes: false,
      wrapsLoadErrors: false,
    },
  },
);
