import { compressorSuite, serializerSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";
import { identitySuiteOptions, jsonSuiteOptions } from "./codec-suites.options.ts";

serializerSuite(api, { ...jsonSuiteOptions, numRuns: 50 });
compressorSuite(api, { ...identitySuiteOptions, numRuns: 50 });
