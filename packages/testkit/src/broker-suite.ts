import type { TestApi } from "./api.ts";

// Placeholder until the suite lands; see the testkit README.
export interface BrokerSuiteOptions {
  name: string;
}

export function brokerSuite(_api: TestApi, _options: BrokerSuiteOptions): void {}
