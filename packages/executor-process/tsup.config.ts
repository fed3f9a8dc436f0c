import { platoonTsup } from "@platoon/tsup-config";
import { defineConfig } from "tsup";

// The child entry is spawned by path next to index.js (see src/worker-entry.ts), so it is
// built as its own file; shims give the CJS build an import.meta.url.
export default defineConfig(
  platoonTsup({
    entry: ["src/index.ts", "src/process-worker.ts"],
    platform: "node",
    shims: true,
  }),
);
