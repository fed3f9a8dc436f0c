import { platoonTsup } from "@platoon/tsup-config";
import { defineConfig } from "tsup";

export default defineConfig(
  platoonTsup({
    platform: "node",
    entry: ["src/index.ts", "src/main.ts"],
    shims: true,
    external: ["tsx"],
  }),
);
