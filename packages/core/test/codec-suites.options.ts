import type { CompressorSuiteOptions, SerializerSuiteOptions } from "@platoon/testkit";
import { identityCompressor, jsonSerializer } from "../src/index.ts";

/** What the built-in codecs promise; shared by the vitest file and the Deno/Bun lane. */
export const jsonSuiteOptions: SerializerSuiteOptions = {
  name: "json",
  create: () => jsonSerializer,
  supports: {
    dates: true,
    bigint: true,
    maps: true,
    sets: true,
    uint8Array: true,
    undefined: true,
  },
  detectsTruncation: true,
};

export const identitySuiteOptions: CompressorSuiteOptions = {
  name: "none",
  create: () => identityCompressor,
  sync: true,
};
