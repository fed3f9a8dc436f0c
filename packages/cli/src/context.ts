import type { Broker } from "@platoon/core";
import { checkReachable, openBroker } from "./broker.ts";
import type { Resolved } from "./config.ts";
import type { Out } from "./output.ts";

/** What every command gets: parsed flags, positionals, resolved options and output. */
export interface Context {
  argv: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  options: Resolved;
  out: Out;
  cwd: string;
  /** The CLI's own entry file, to spawn worker children. */
  entry: string;
}

/** Opens the broker for a one-shot command, failing with exit code 3 if it is down. */
export async function withBroker<T>(ctx: Context, fn: (broker: Broker) => Promise<T>): Promise<T> {
  const broker = await openBroker(ctx.options.broker, true);
  await checkReachable(broker, ctx.options.broker);
  try {
    return await fn(broker);
  } finally {
    await broker.close().catch(() => {});
  }
}
