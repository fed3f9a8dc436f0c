import type { TestApi } from "./api.ts";

// Placeholder until the suite lands; see the testkit README.
export interface ExecutorSuiteOptions {
  name: string;
}

export function executorSuite(_api: TestApi, _options: ExecutorSuiteOptions): void {}
