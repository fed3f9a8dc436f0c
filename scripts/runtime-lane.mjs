#!/usr/bin/env node
// Runs every `test/*.lane.ts` file of packages/ and apps/ under Deno or Bun.
// Lane files hold the conformance suites and runtime smoke tests; `npm test` covers Node.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const runtime = process.argv[2];
if (runtime !== "deno" && runtime !== "bun") {
  console.error("usage: node scripts/runtime-lane.mjs deno|bun");
  process.exit(2);
}
const files = [];
for (const top of ["packages", "apps"]) {
  for (const dir of readdirSync(top)) {
    const testDir = join(top, dir, "test");
    if (!existsSync(testDir)) continue;
    for (const f of readdirSync(testDir))
      if (f.endsWith(".lane.ts")) files.push(`./${join(testDir, f)}`);
  }
}
if (files.length === 0) {
  console.error("no lane files found");
  process.exit(1);
}
const bin = join("node_modules", ".bin", runtime);
const args =
  runtime === "deno"
    ? ["test", "-A", "--no-check", ...files]
    : ["--conditions=source", "test", "--timeout=60000", ...files];
console.log(`> ${runtime} ${args.join(" ")}`);
const result = spawnSync(bin, args, {
  stdio: "inherit",
  env: { ...process.env, PLATOON_RUNTIME_LANE: runtime },
});
process.exit(result.status ?? 1);
