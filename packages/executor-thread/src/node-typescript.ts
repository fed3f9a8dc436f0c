import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { PlatoonError } from "@platoon/core";

// Node 20 cannot import .ts files; tsx can, through module hooks. Deno and Bun need none of this.
const require = createRequire(import.meta.url);

function tsxRoot(): string {
  try {
    return dirname(require.resolve("tsx/package.json"));
  } catch (error) {
    throw new PlatoonError(
      "EXECUTOR",
      "a TypeScript module needs the tsx package on Node (npm install tsx), or a runtime that strips types",
      { cause: error },
    );
  }
}

/** For `--import <url>` on a child process's command line: registers tsx before anything loads. */
export function tsxImportUrl(): string {
  return pathToFileURL(join(tsxRoot(), "dist", "loader.mjs")).href;
}

/** tsx's ESM `register()` API, for a worker thread (whose execArgv ignores --import). */
export function tsxApiUrl(): string {
  return pathToFileURL(join(tsxRoot(), "dist", "esm", "api", "index.mjs")).href;
}
