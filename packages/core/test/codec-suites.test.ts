import { compressorSuite, serializerSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { identitySuiteOptions, jsonSuiteOptions } from "./codec-suites.options.ts";

const api = { describe, it, expect };
serializerSuite(api, jsonSuiteOptions);
compressorSuite(api, identitySuiteOptions);
