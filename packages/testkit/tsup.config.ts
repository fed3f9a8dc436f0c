import { platoonTsup } from "@platoon/tsup-config";
import { defineConfig } from "tsup";

// The lane helper picks the runtime's test API with top-level await, which only ESM has.
export default defineConfig([
  platoonTsup({ entry: ["src/index.ts", "src/redis-server.ts"], platform: "node", clean: false }),
  platoonTsup({
    entry: ["src/lane.ts"],
    platform: "node",
    format: ["esm"],
    external: ["bun:test"],
    clean: false,
  }),
]);
