import { platoonVitest } from "@platoon/vitest-config";
import { defineConfig } from "vitest/config";

// End-to-end cases spawn the real `platoon` binary for every step; on a loaded 2-core CI
// machine a step can take seconds, so cases get more time than unit tests.
export default defineConfig(platoonVitest({ testTimeout: 120_000, hookTimeout: 60_000 }));
