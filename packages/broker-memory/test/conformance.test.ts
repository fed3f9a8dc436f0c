import { brokerSuite } from "@platoon/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createMemoryBroker } from "../src/index.ts";

brokerSuite(
  { describe, it, expect, afterAll },
  { name: "memory", create: () => createMemoryBroker() },
);
