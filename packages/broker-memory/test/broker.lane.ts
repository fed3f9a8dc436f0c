import { brokerSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";
import { createMemoryBroker } from "../src/index.ts";

brokerSuite(api, { name: "memory", create: () => createMemoryBroker(), propertyRuns: 10 });
