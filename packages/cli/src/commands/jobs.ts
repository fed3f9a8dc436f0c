import { createClient, RemoteError, TimeoutError } from "@platoon/core";
import { type Context, withBroker } from "../context.ts";
import { CliError, EXIT, usage } from "../exit-codes.ts";
import { ago, Progress, table } from "../output.ts";

export function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    // A bare word is taken as a string: `platoon enqueue greet world`.
    if (/^[^{["\d-]/.test(text) && text !== "true" && text !== "false" && text !== "null")
      return text;
    throw usage(`${what} is not valid JSON: ${text}`);
  }
}

function intFlag(ctx: Context, name: string): number | undefined {
  const v = ctx.flags[name];
  if (typeof v !== "string") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw usage(`--${name} must be a whole number`);
  return n;
}

/** `platoon enqueue <task> [json] [--count n] [--wait]` */
export async function enqueueCommand(ctx: Context): Promise<number> {
  const [task, json] = ctx.positionals;
  if (!task) throw usage("platoon enqueue <task> [json input]");
  const input = parseJson(json, "input");
  const count = intFlag(ctx, "count") ?? 1;
  const waitMs = intFlag(ctx, "wait-ms");
  const wait = ctx.flags.wait === true || waitMs !== undefined;
  const options = {
    ...(intFlag(ctx, "priority") === undefined ? {} : { priority: intFlag(ctx, "priority")! }),
    ...(intFlag(ctx, "delay-ms") === undefined ? {} : { delayMs: intFlag(ctx, "delay-ms")! }),
    ...(intFlag(ctx, "attempts") === undefined ? {} : { attempts: intFlag(ctx, "attempts")! }),
    ...(typeof ctx.flags.id === "string" ? { id: ctx.flags.id } : {}),
  };
  return withBroker(ctx, async (broker) => {
    const client = await createClient({
      broker,
      queue: ctx.options.queue,
      ...(ctx.options.serializer ? { serializer: ctx.options.serializer } : {}),
    });
    const ids: string[] = [];
    const handles: Awaited<ReturnType<typeof client.enqueueBulk>> = [];
    const progress = new Progress(`enqueue ${task}`, count, count > 1 && process.stderr.isTTY);
    for (let done = 0; done < count; ) {
      const n = Math.min(1_000, count - done);
      const batch = await client.enqueueBulk(
        Array.from({ length: n }, () => ({ task, input, options })),
      );
      for (const h of batch) {
        ids.push(h.id);
        handles.push(h);
      }
      done += n;
      progress.add(n);
    }
    progress.end();
    if (!wait) {
      if (ctx.out.json) ctx.out.write(JSON.stringify(count === 1 ? { id: ids[0] } : { ids }));
      else ctx.out.write(ids.join("\n"));
      return EXIT.OK;
    }
    try {
      const results = await Promise.all(
        handles.map((h) => h.result(waitMs === undefined ? {} : { timeoutMs: waitMs })),
      );
      if (ctx.out.json)
        ctx.out.write(
          JSON.stringify(count === 1 ? { id: ids[0], result: results[0] } : { ids, results }),
        );
      else for (const r of results) ctx.out.write(JSON.stringify(r) ?? "undefined");
      return EXIT.OK;
    } catch (error) {
      if (error instanceof TimeoutError) throw new CliError(EXIT.TIMEOUT, error.message);
      if (error instanceof RemoteError)
        throw new CliError(EXIT.FAILURE, `task failed: ${error.message}`);
      throw error;
    }
  });
}

/** `platoon dead list|retry|purge [ids…]` */
export async function deadCommand(ctx: Context): Promise<number> {
  const [action, ...ids] = ctx.positionals;
  const queue = ctx.options.queue;
  return withBroker(ctx, async (broker) => {
    switch (action) {
      case "list":
      case "ls":
      case undefined: {
        const limit = intFlag(ctx, "limit") ?? 100;
        const dead = await broker.listDead(queue, { limit });
        if (ctx.out.json) {
          ctx.out.write(
            JSON.stringify(
              dead.map((d) => ({
                id: d.id,
                queue: d.queue,
                task: d.task,
                attempt: d.attempt,
                error: d.error,
                failedAt: d.failedAt,
              })),
            ),
          );
        } else if (dead.length === 0) ctx.out.write(`no dead letters in ${queue}`);
        else {
          const now = Date.now();
          ctx.out.write(
            table(
              ["ID", "TASK", "ATTEMPT", "FAILED", "ERROR"],
              dead.map((d) => [
                d.id,
                d.task,
                d.attempt,
                `${ago(now - d.failedAt)} ago`,
                `${d.error.name}: ${d.error.message}`.slice(0, 80),
              ]),
            ),
          );
        }
        return EXIT.OK;
      }
      case "retry":
      case "requeue": {
        const n = await broker.requeueDead(queue, ids.length ? ids : undefined);
        ctx.out.write(
          ctx.out.json ? JSON.stringify({ requeued: n }) : `requeued ${n} dead letter(s)`,
        );
        return ids.length && n === 0 ? EXIT.NOT_FOUND : EXIT.OK;
      }
      case "purge":
      case "rm": {
        const n = await broker.deleteDead(queue, ids.length ? ids : undefined);
        ctx.out.write(
          ctx.out.json ? JSON.stringify({ deleted: n }) : `deleted ${n} dead letter(s)`,
        );
        return ids.length && n === 0 ? EXIT.NOT_FOUND : EXIT.OK;
      }
      default:
        throw usage(`platoon dead list|retry|purge [ids...], not "${action}"`);
    }
  });
}

/** `platoon purge` — removes waiting and delayed jobs of the queue. */
export async function purgeCommand(ctx: Context): Promise<number> {
  return withBroker(ctx, async (broker) => {
    const n = await broker.purge(ctx.options.queue);
    ctx.out.write(ctx.out.json ? JSON.stringify({ purged: n }) : `purged ${n} job(s)`);
    return EXIT.OK;
  });
}
