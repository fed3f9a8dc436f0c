import type { SerializerSuiteOptions } from "@platoon/testkit";
import { msgpackSerializer } from "../src/index.ts";

/** What the msgpack serializer promises; shared by the vitest file and the Deno/Bun lane. */
export const msgpackSuiteOptions: SerializerSuiteOptions = {
  name: "msgpack",
  create: () => msgpackSerializer(),
  supports: {
    dates: true,
    bigint: true,
    maps: true,
    sets: true,
    uint8Array: true,
    typedArrays: true,
    undefined: true,
    nonFiniteNumbers: true,
  },
  detectsTruncation: true,
};
