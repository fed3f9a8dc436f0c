import { platoonVitest } from "@platoon/vitest-config";
import { defineConfig } from "vitest/config";

// Two test files, each mostly waiting for workers to start, die and be replaced: run them
// side by side even on a 2-core machine (Vitest's default there is one at a time). Cases
// run concurrently too, so a loaded machine gets a generous per-case timeout.
export default defineConfig(platoonVitest({ maxWorkers: 2, testTimeout: 60_000 }));
