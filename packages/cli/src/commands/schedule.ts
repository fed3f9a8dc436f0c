import { createScheduler, type ScheduleDefinition } from "@platoon/core";
import { type Context, withBroker } from "../context.ts";
import { CliError, EXIT, usage } from "../exit-codes.ts";
import { table } from "../output.ts";
import { parseJson } from "./jobs.ts";

function describe(d: { cron?: string; every?: number; at?: number; timezone?: string }): string {
  if (d.cron !== undefined) return `cron ${d.cron}${d.timezone ? ` (${d.timezone})` : ""}`;
  if (d.every !== undefined) return `every ${d.every}ms`;
  return `at ${new Date(d.at!).toISOString()}`;
}

/** `platoon schedule list|add|rm|pause|resume` */
export async function scheduleCommand(ctx: Context): Promise<number> {
  const [action, ...rest] = ctx.positionals;
  return withBroker(ctx, async (broker) => {
    const scheduler = await createScheduler({
      broker,
      queue: ctx.options.queue,
      ...(ctx.options.serializer ? { serializer: ctx.options.serializer } : {}),
    });
    const f = ctx.flags;
    switch (action) {
      case undefined:
      case "ls":
      case "list": {
        const all = await scheduler.list(typeof f.queue === "string" ? f.queue : undefined);
        if (ctx.out.json) ctx.out.write(JSON.stringify(all));
        else if (all.length === 0) ctx.out.write("no schedules");
        else
          ctx.out.write(
            table(
              ["ID", "QUEUE", "TASK", "WHEN", "NEXT", "RUNS", "PAUSED"],
              all.map((s) => [
                s.id,
                s.queue,
                s.task,
                describe(s.definition),
                s.nextRunAt?.toISOString() ?? "ended",
                s.runs,
                s.paused ? "yes" : "no",
              ]),
            ),
          );
        return EXIT.OK;
      }
      case "add": {
        const [task, json] = rest;
        if (!task)
          throw usage(
            "platoon schedule add <task> [json input] --every 10s | --cron '...' | --at <date>",
          );
        const def: ScheduleDefinition = { task, input: parseJson(json, "input") };
        if (typeof f.id === "string") def.id = f.id;
        if (typeof f.cron === "string") def.cron = f.cron;
        if (typeof f.every === "string") def.every = f.every;
        if (typeof f.at === "string") def.at = f.at;
        if (typeof f.tz === "string") def.timezone = f.tz;
        if (typeof f.iterations === "string") def.iterations = Number(f.iterations);
        if (typeof f["start-at"] === "string") def.startAt = f["start-at"];
        if (typeof f["end-at"] === "string") def.endAt = f["end-at"];
        if (typeof f["catch-up"] === "string") def.catchUp = { max: Number(f["catch-up"]) };
        if (f["no-overlap"] === true) def.noOverlap = true;
        if (f["run-now"] === true) def.runImmediately = true;
        if (typeof f.queue === "string") def.queue = f.queue;
        let info: Awaited<ReturnType<typeof scheduler.create>>;
        try {
          info = await scheduler.create(def);
        } catch (error) {
          if ((error as { code?: string }).code === "CONFIG") throw usage((error as Error).message);
          throw error;
        }
        ctx.out.write(
          ctx.out.json
            ? JSON.stringify(info)
            : `added ${info.id}: ${info.task} ${describe(info.definition)}, next ${info.nextRunAt?.toISOString() ?? "never"}`,
        );
        return EXIT.OK;
      }
      case "rm":
      case "delete":
      case "pause":
      case "resume": {
        if (rest.length === 0) throw usage(`platoon schedule ${action} <id...>`);
        let missing = 0;
        for (const id of rest) {
          if (!(await scheduler.get(id))) {
            missing++;
            ctx.out.error(`no schedule "${id}"`);
            continue;
          }
          if (action === "pause") await scheduler.pause(id);
          else if (action === "resume") await scheduler.resume(id);
          else await scheduler.delete(id);
        }
        const done = rest.length - missing;
        const verb = action === "pause" ? "paused" : action === "resume" ? "resumed" : "removed";
        ctx.out.write(
          ctx.out.json ? JSON.stringify({ [verb]: done }) : `${verb} ${done} schedule(s)`,
        );
        if (missing > 0) throw new CliError(EXIT.NOT_FOUND, `${missing} schedule(s) not found`);
        return EXIT.OK;
      }
      default:
        throw usage(`platoon schedule list|add|rm|pause|resume, not "${action}"`);
    }
  });
}
