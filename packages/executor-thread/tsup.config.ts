import { platoonTsup } from "@platoon/tsup-config";
import { defineConfig } from "tsup";

// The thread entry is loaded by URL next to index.js (see src/worker-entry.ts), so it is
// built as its own file; shims give the CJS build an import.meta.url.
export default defineConfig(
  platoonTsup({
    entry: ["src/index.ts", "src/thread-worker.ts"],
    platform: "node",
    shims: true,
  }),
);
