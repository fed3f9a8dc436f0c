import type { TestApi } from "./api.ts";

// Placeholder until the suite lands; see the testkit README.
export interface SerializerSuiteOptions {
  name: string;
}

export function serializerSuite(_api: TestApi, _options: SerializerSuiteOptions): void {}
