import { compressorSuite, serializerSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { identityCompressor, jsonSerializer } from "../src/index.ts";

const api = { describe, it, expect };

serializerSuite(api, {
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
});

compressorSuite(api, { name: "none", create: () => identityCompressor, sync: true });
