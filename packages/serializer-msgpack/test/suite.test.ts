import { serializerSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { msgpackSerializer } from "../src/index.ts";

serializerSuite(
  { describe, it, expect },
  {
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
  },
);
