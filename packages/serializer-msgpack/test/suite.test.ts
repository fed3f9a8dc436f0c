import { serializerSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { msgpackSuiteOptions } from "./suite.options.ts";

serializerSuite({ describe, it, expect }, msgpackSuiteOptions);
