import { platoonTsup } from "@platoon/tsup-config";
import { defineConfig } from "tsup";

export default defineConfig(platoonTsup({ platform: "node" }));
