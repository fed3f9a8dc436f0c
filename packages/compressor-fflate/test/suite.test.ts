import { compressorSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { deflate, gzip, zlib } from "../src/index.ts";

const api = { describe, it, expect };

compressorSuite(api, {
  name: "gzip",
  create: () => gzip({ level: 6 }),
  sync: true,
  detectsTruncation: true,
  detectsCorruption: true,
});
compressorSuite(api, {
  name: "zlib",
  create: () => zlib({ level: 9 }),
  sync: true,
  detectsTruncation: true,
  detectsCorruption: true,
});
// Raw deflate has no checksum: truncation is still caught (the final block never
// arrives), a changed byte is not.
compressorSuite(api, {
  name: "deflate",
  create: () => deflate({ level: 1 }),
  sync: true,
  detectsTruncation: true,
});
compressorSuite(api, {
  name: "gzip level 0 (stored)",
  create: () => gzip({ level: 0 }),
  sync: true,
  detectsTruncation: true,
  detectsCorruption: true,
});
