import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  attachControl,
  createScheduler,
  createWorker,
  type Executor,
  InlineExecutor,
  type Scheduler,
} from "@platoon/core";
import { openBroker, redact } from "../broker.ts";
import type { Context } from "../context.ts";
import { usage } from "../exit-codes.ts";
import { importModule } from "../import-module.ts";

/** `platoon worker <tasks>`: a supervisor that runs the worker in a child process. */
export async function workerCommand(ctx: Context): Promise<number> {
  const spec = ctx.positionals[0] ?? ctx.options.tasks;
  if (!spec) throw usage("platoon worker needs a tasks module: platoon worker ./tasks.ts");
  const tasksUrl = spec.startsWith("file:") ? spec : pathToFileURL(resolve(ctx.cwd, spec)).href;
  if (!existsSync(fileURLToPath(tasksUrl))) throw usage(`tasks module not found: ${spec}`);
  return ctx.flags.child === true ? runChild(ctx, tasksUrl) : supervise(ctx, tasksUrl);
}

async function makeExecutor(
  ctx: Context,
  tasksUrl: string,
): Promise<{ executor: Executor; tasks: unknown }> {
  const o = ctx.options;
  const memory = o.maxMemoryMb === undefined ? {} : { maxMemoryMb: o.maxMemoryMb };
  switch (o.executor) {
    case "inline":
      return { executor: new InlineExecutor(), tasks: await importModule(tasksUrl) };
    case "process": {
      const { ProcessExecutor } = await import("@platoon/executor-process");
      return { executor: new ProcessExecutor(memory), tasks: tasksUrl };
    }
    default: {
      const { ThreadExecutor } = await import("@platoon/executor-thread");
      return { executor: new ThreadExecutor(memory), tasks: tasksUrl };
    }
  }
}

/** The worker itself, in the child process the supervisor started. */
async function runChild(ctx: Context, tasksUrl: string): Promise<number> {
  const o = ctx.options;
  const broker = await openBroker(o.broker, false);
  const { executor, tasks } = await makeExecutor(ctx, tasksUrl);
  const worker = await createWorker({
    broker,
    tasks: tasks as never,
    executor,
    queue: o.queue,
    ...(typeof ctx.flags.id === "string" ? { id: ctx.flags.id } : {}),
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    ...(o.timeoutMs === undefined ? {} : { defaultTimeoutMs: o.timeoutMs }),
    ...(o.serializer === undefined ? {} : { serializer: o.serializer }),
    ...(o.compressor === undefined ? {} : { compressor: o.compressor as never }),
  });
  const restarts = Number(process.env.PLATOON_RESTARTS ?? 0);
  const control = await attachControl(worker, {
    heartbeatMs: o.heartbeatMs,
    host: hostname(),
    pid: process.pid,
    info: () => ({
      executorKind: o.executor,
      restarts,
      supervisorPid: Number(process.env.PLATOON_SUPERVISOR_PID ?? process.ppid),
    }),
    onKill: () => process.exit(0),
  });
  const stop = () => void worker.stop();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  ctx.out.error(
    `[platoon] worker ${worker.id} running: queue ${o.queue}, executor ${o.executor}, concurrency ${worker.concurrency}, pid ${process.pid}`,
  );
  await worker.stopped;
  await Promise.race([
    (async () => {
      await control.detach();
      await broker.close().catch(() => {});
    })(),
    new Promise((r) => setTimeout(r, 3_000).unref()),
  ]);
  ctx.out.error(`[platoon] worker ${worker.id} stopped`);
  return 0;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A child that lived this long resets the backoff. */
const HEALTHY_MS = 30_000;

/** Starts the worker child, restarts it with backoff when it dies, and runs the scheduler. */
async function supervise(ctx: Context, tasksUrl: string): Promise<number> {
  const o = ctx.options;
  const broker = await openBroker(o.broker, false);
  let scheduler: Scheduler | undefined;
  if (o.scheduler) {
    scheduler = await createScheduler({
      broker,
      queue: o.queue,
      ...(o.serializer === undefined ? {} : { serializer: o.serializer }),
      ...(o.compressor === undefined ? {} : { compressor: o.compressor as never }),
    });
    for (const s of o.config.schedules ?? []) await scheduler.set(s);
    await scheduler.start();
  }
  ctx.out.error(
    `[platoon] supervisor ${process.pid}: broker ${redact(o.broker)}, tasks ${tasksUrl}${scheduler ? ", scheduler on" : ""}`,
  );
  const childArgs = [
    ...process.execArgv,
    ctx.entry,
    ...ctx.argv.filter((a) => a !== "--child"),
    "--child",
  ];
  let restarts = 0;
  let failuresInRow = 0;
  let stopping = false;
  let child: ChildProcess | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let signals = 0;

  const code = await new Promise<number>((resolveExit) => {
    const start = () => {
      retry = undefined;
      const id = `${hostname()}-${process.pid}-${restarts}`;
      const startedAt = Date.now();
      child = spawn(process.execPath, [...childArgs, "--id", id], {
        stdio: "inherit",
        env: {
          ...process.env,
          PLATOON_RESTARTS: String(restarts),
          PLATOON_SUPERVISOR_PID: String(process.pid),
        },
      });
      child.on("exit", (exitCode, signal) => {
        child = undefined;
        if (stopping || exitCode === 0) {
          resolveExit(stopping ? 0 : (exitCode ?? 0));
          return;
        }
        failuresInRow = Date.now() - startedAt > HEALTHY_MS ? 1 : failuresInRow + 1;
        const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (failuresInRow - 1));
        restarts++;
        ctx.out.error(
          `[platoon] worker ${id} exited (${signal ?? `code ${exitCode}`}); restart ${restarts} in ${delay} ms`,
        );
        void broker.forgetWorker?.(id).catch(() => false);
        retry = setTimeout(start, delay);
      });
    };
    const onSignal = (signal: NodeJS.Signals) => {
      stopping = true;
      signals++;
      if (retry) {
        clearTimeout(retry);
        resolveExit(0);
        return;
      }
      if (!child) return resolveExit(0);
      child.kill(signals > 1 ? "SIGKILL" : signal);
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
    start();
  });
  // Bounded: with the broker down, closing could wait for a reconnect that never comes.
  await Promise.race([
    (async () => {
      await scheduler?.stop();
      await broker.close().catch(() => {});
    })(),
    new Promise((r) => setTimeout(r, 3_000).unref()),
  ]);
  return code;
}
