import { platoonVitest } from "@platoon/vitest-config";
import { defineConfig } from "vitest/config";

export default defineConfig(platoonVitest());
