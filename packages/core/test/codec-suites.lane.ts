import { identityCompressor, jsonSerializer } from "@platoon/core";
import { compressorSuite, serializerSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";

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

  numRuns: 50,
});
compressorSuite(api, { name: "none", create: () => identityCompressor, sync: true, numRuns: 50 });
