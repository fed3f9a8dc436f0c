import { describe, expect, it } from "vitest";
import { codecPayloadCases } from "./codec-payloads.cases.ts";

codecPayloadCases({ describe, it, expect });
