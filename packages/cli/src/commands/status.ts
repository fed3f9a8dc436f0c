import { type Broker, createController, type QueueStats, type WorkerRecord } from "@platoon/core";
import { type Context, withBroker } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import { ago, table } from "../output.ts";

interface WorkerMetricsLike {
  completed?: number;
  failed?: number;
  inFlight?: number;
}

export interface StatusSnapshot {
  at: number;
  queues: (QueueStats & { paused: boolean })[];
  workers: (WorkerRecord & { rate: number })[];
  schedules: number;
}

async function snapshot(
  broker: Broker,
  ctx: Context,
  previous: StatusSnapshot | undefined,
): Promise<StatusSnapshot> {
  const controller = createController({ broker, timeoutMs: 1_000 });
  const workers = await controller.status();
  const schedules = await broker.listSchedules();
  const names = new Set<string>([ctx.options.queue]);
  for (const w of workers) for (const q of w.queues) names.add(q);
  for (const s of schedules) names.add(s.queue);
  const queues = await Promise.all(
    [...names].sort().map(async (q) => ({
      ...(await broker.stats(q)),
      paused: await controller.isPaused(q),
    })),
  );
  const at = Date.now();
  return {
    at,
    queues,
    schedules: schedules.length,
    workers: workers.map((w) => {
      const done = completedOf(w);
      const before = previous?.workers.find((p) => p.id === w.id);
      // Jobs per second since the last refresh, or since the worker started.
      const rate = before
        ? ((done - completedOf(before)) * 1_000) / Math.max(1, at - previous!.at)
        : (done * 1_000) / Math.max(1, at - w.startedAt);
      return { ...w, rate: Math.round(rate * 10) / 10 };
    }),
  };
}

function metricsOf(w: WorkerRecord): WorkerMetricsLike {
  return (w.info?.metrics ?? {}) as WorkerMetricsLike;
}

function completedOf(w: WorkerRecord): number {
  return metricsOf(w).completed ?? 0;
}

function render(s: StatusSnapshot): string {
  const queues = table(
    ["QUEUE", "WAITING", "DELAYED", "ACTIVE", "DEAD", "RESULTS", "PAUSED"],
    s.queues.map((q) => [
      q.queue,
      q.waiting,
      q.delayed,
      q.active,
      q.dead,
      q.results,
      q.paused ? "yes" : "no",
    ]),
  );
  const workers =
    s.workers.length === 0
      ? "no workers"
      : table(
          [
            "WORKER",
            "HOST",
            "PID",
            "QUEUES",
            "STATE",
            "CONC",
            "RUNNING",
            "DONE",
            "FAILED",
            "JOBS/S",
            "SEEN",
          ],
          s.workers.map((w) => [
            w.id,
            w.host,
            w.pid,
            w.queues.join(","),
            w.gone ? "gone" : w.state,
            w.concurrency,
            metricsOf(w).inFlight,
            completedOf(w),
            metricsOf(w).failed,
            w.rate,
            w.lastSeen === undefined ? undefined : `${ago(s.at - w.lastSeen)} ago`,
          ]),
        );
  return `${queues}\n\n${workers}\n\nschedules: ${s.schedules}`;
}

/** `platoon status [--watch] [--json]` */
export async function statusCommand(ctx: Context): Promise<number> {
  return withBroker(ctx, async (broker) => {
    let previous = await snapshot(broker, ctx, undefined);
    const show = (s: StatusSnapshot) => ctx.out.write(ctx.out.json ? JSON.stringify(s) : render(s));
    if (ctx.flags.watch !== true) {
      show(previous);
      return EXIT.OK;
    }
    const every = Number(ctx.flags["interval-ms"] ?? 2_000);
    let stop = false;
    const onSignal = () => {
      stop = true;
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    for (;;) {
      if (!ctx.out.json && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
      show(previous);
      await new Promise((r) => setTimeout(r, every));
      if (stop) return EXIT.OK;
      previous = await snapshot(broker, ctx, previous);
    }
  });
}
