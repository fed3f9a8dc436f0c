import { task } from "@platoon/core";

export const noop = task("noop", (x: number) => x);
/** The same no-op as an async function, like the one p-queue runs. */
export const noopAsync = task("noopAsync", async (x: number) => x);
