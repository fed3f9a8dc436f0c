import { task } from "@platoon/core";

export const noop = task("noop", (x: number) => x);
