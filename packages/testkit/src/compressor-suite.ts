import type { TestApi } from "./api.ts";

// Placeholder until the suite lands; see the testkit README.
export interface CompressorSuiteOptions {
  name: string;
}

export function compressorSuite(_api: TestApi, _options: CompressorSuiteOptions): void {}
