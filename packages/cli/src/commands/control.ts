import { createController } from "@platoon/core";
import { type Context, withBroker } from "../context.ts";
import { CliError, EXIT, usage } from "../exit-codes.ts";

const replyTimeout = (ctx: Context) =>
  typeof ctx.flags["reply-timeout-ms"] === "string" ? Number(ctx.flags["reply-timeout-ms"]) : 3_000;

/** `platoon pause <queue>` / `platoon resume <queue>` */
export async function pauseResumeCommand(
  ctx: Context,
  action: "pause" | "resume",
): Promise<number> {
  const queue = ctx.positionals[0] ?? ctx.options.queue;
  return withBroker(ctx, async (broker) => {
    const controller = createController({ broker, timeoutMs: replyTimeout(ctx) });
    const replies =
      action === "pause" ? await controller.pause(queue) : await controller.resume(queue);
    const verb = action === "pause" ? "paused" : "resumed";
    ctx.out.write(
      ctx.out.json
        ? JSON.stringify({ queue, [verb]: true, workers: replies.map((r) => r.workerId) })
        : `${verb} ${queue} (${replies.length} worker(s) answered)`,
    );
    return EXIT.OK;
  });
}

/** `platoon stop <worker|all> [--kill] [--no-graceful]` */
export async function stopCommand(ctx: Context): Promise<number> {
  const target = ctx.positionals[0];
  if (!target) throw usage("platoon stop <worker id|all>");
  const id = target === "all" ? "*" : target;
  return withBroker(ctx, async (broker) => {
    const controller = createController({ broker, timeoutMs: replyTimeout(ctx) });
    const replies =
      ctx.flags.kill === true
        ? await controller.kill(id)
        : await controller.stop(id, { graceful: ctx.flags["no-graceful"] !== true });
    ctx.out.write(
      ctx.out.json
        ? JSON.stringify({ stopped: replies.map((r) => r.workerId) })
        : replies.length === 0
          ? "no worker answered"
          : `stopping ${replies.map((r) => r.workerId).join(", ")}`,
    );
    if (replies.length === 0 && id !== "*")
      throw new CliError(EXIT.NOT_FOUND, `no worker "${target}" answered`);
    return EXIT.OK;
  });
}

/** `platoon ping [worker|all]` */
export async function pingCommand(ctx: Context): Promise<number> {
  const target = ctx.positionals[0] ?? "all";
  return withBroker(ctx, async (broker) => {
    const controller = createController({ broker, timeoutMs: replyTimeout(ctx) });
    const replies = await controller.ping(target === "all" ? "*" : target);
    if (ctx.out.json) ctx.out.write(JSON.stringify(replies));
    else
      for (const r of replies) ctx.out.write(`${r.workerId}  ${r.data?.state}  ${r.latencyMs}ms`);
    if (replies.length === 0) throw new CliError(EXIT.TIMEOUT, "no worker answered");
    return EXIT.OK;
  });
}
