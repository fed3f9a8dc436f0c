import { api } from "@platoon/testkit/lane";
import { codecPayloadCases } from "./codec-payloads.cases.ts";

codecPayloadCases(api);
