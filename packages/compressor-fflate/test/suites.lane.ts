import { deflate, gzip, zlib } from "@platoon/compressor-fflate";
import { compressorSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";

const numRuns = 50;
compressorSuite(api, {
  name: "gzip",
  create: () => gzip(),
  sync: true,
  detectsTruncation: true,
  detectsCorruption: true,
  numRuns,
});
compressorSuite(api, {
  name: "zlib",
  create: () => zlib(),
  sync: true,
  detectsTruncation: true,
  detectsCorruption: true,
  numRuns,
});
compressorSuite(api, {
  name: "deflate",
  create: () => deflate(),
  sync: true,
  detectsTruncation: true,
  numRuns,
});
