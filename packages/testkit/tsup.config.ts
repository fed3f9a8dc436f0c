import { platoonTsup } from "@platoon/tsup-config";
import { defineConfig } from "tsup";

export default defineConfig(
  platoonTsup({
    entry: ["src/index.ts", "src/lane.ts"],
    platform: "node",
    external: ["bun:test"],
  }),
);
