import type { Broker, Unsubscribe, WorkerRecord } from "../contracts/broker.ts";
import type { Worker } from "../worker/worker.ts";
import {
  CONTROL_CHANNEL,
  type ControlReply,
  type ControlRequest,
  decodeMessage,
  encodeMessage,
  pausedQueueLock,
} from "./protocol.ts";

export interface AttachControlOptions {
  /** Default: the worker's broker. */
  broker?: Broker;
  /** Heartbeat period. The record reads as gone after 3 missed beats. Default 2 s. */
  heartbeatMs?: number;
  /** Host name to report. Default: the runtime's, where it tells it. */
  host?: string;
  /** Process id to report. Default: the runtime's, where it has one. */
  pid?: number;
  /** Extra JSON-safe details to report with each heartbeat. */
  info?: () => Record<string, unknown>;
  /**
   * Called by the `kill` command after the worker was stopped without grace (the CLI exits
   * the process here). Default: nothing more.
   */
  onKill?: () => void | Promise<void>;
  /** Called after a `stop` command has stopped the worker. */
  onStop?: () => void | Promise<void>;
  logger?: Pick<Console, "warn" | "error">;
}

export interface ControlHandle {
  readonly workerId: string;
  /** Sends a heartbeat now. */
  beat(): Promise<void>;
  /** Stops heartbeats and listening, and forgets the worker's record. */
  detach(): Promise<void>;
}

interface RuntimeGlobals {
  process?: { pid?: number };
  Deno?: { pid?: number; hostname?: () => string };
}

/**
 * Makes a worker visible and controllable through its broker: it heartbeats a record
 * (id, host, pid, queue, concurrency, metrics) to the broker's worker registry when the
 * broker has one, and answers ping, status, pause, resume, concurrency, stop and kill
 * on the control channel. A queue paused by a controller stays paused for workers that
 * attach later.
 */
export async function attachControl(
  worker: Worker,
  options: AttachControlOptions = {},
): Promise<ControlHandle> {
  const broker = options.broker ?? worker.broker;
  const heartbeatMs = options.heartbeatMs ?? 2_000;
  const log = options.logger ?? console;
  const g = globalThis as RuntimeGlobals;
  const pid = options.pid ?? g.process?.pid ?? g.Deno?.pid;
  let host = options.host;
  if (host === undefined) {
    try {
      host = g.Deno?.hostname?.();
    } catch {
      host = undefined;
    }
  }
  const startedAt = Date.now();
  let detached = false;
  let pausedByLock = false;

  const record = (): WorkerRecord => {
    const metrics = worker.metrics();
    return {
      id: worker.id,
      ...(host === undefined ? {} : { host }),
      ...(pid === undefined ? {} : { pid }),
      queues: [worker.queue],
      concurrency: worker.concurrency,
      state: worker.state,
      startedAt,
      info: { metrics, ...(options.info?.() ?? {}) },
    };
  };

  const syncPause = async () => {
    const locked = await broker.isLocked(pausedQueueLock(worker.queue));
    if (locked && worker.state === "running") {
      worker.pause();
      pausedByLock = true;
    } else if (!locked && pausedByLock && worker.state === "paused") {
      worker.resume();
      pausedByLock = false;
    }
  };

  let beating: Promise<void> | undefined;
  const beatOnce = async () => {
    try {
      await syncPause();
      if (detached || worker.state === "stopped") return;
      await broker.heartbeatWorker?.(record(), heartbeatMs * 3);
    } catch (error) {
      if (!detached) log.warn(`[platoon] worker ${worker.id}: heartbeat failed`, error);
    }
  };
  const beat = (): Promise<void> => {
    if (detached) return Promise.resolve();
    beating ??= beatOnce().finally(() => {
      beating = undefined;
    });
    return beating;
  };

  const reply = async (
    request: ControlRequest,
    body: Omit<ControlReply, "requestId" | "workerId">,
  ) => {
    const message: ControlReply = { requestId: request.id, workerId: worker.id, ...body };
    await broker.publish(request.replyTo, encodeMessage(message)).catch(() => {});
  };

  const handle = async (request: ControlRequest) => {
    if (request.target !== "*" && request.target !== worker.id) return;
    const forQueue = (q: string | undefined) => q === undefined || q === worker.queue;
    switch (request.cmd) {
      case "ping":
        return reply(request, { ok: true, data: { pong: Date.now(), state: worker.state } });
      case "status":
        return reply(request, { ok: true, data: record() });
      case "pause":
        if (!forQueue(request.queue)) return;
        worker.pause();
        return reply(request, { ok: true, data: { state: worker.state } });
      case "resume":
        if (!forQueue(request.queue)) return;
        pausedByLock = false;
        worker.resume();
        return reply(request, { ok: true, data: { state: worker.state } });
      case "concurrency":
        try {
          worker.setConcurrency(request.concurrency);
          void beat();
          return reply(request, { ok: true, data: { concurrency: worker.concurrency } });
        } catch (error) {
          return reply(request, { ok: false, error: (error as Error).message });
        }
      case "stop": {
        await reply(request, { ok: true, data: { stopping: true } });
        const stop = worker.stop({
          graceful: request.graceful ?? true,
          ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
        });
        await stop;
        await options.onStop?.();
        return;
      }
      case "kill":
        await reply(request, { ok: true, data: { killing: true } });
        await worker.stop({ graceful: false, timeoutMs: 0 });
        await options.onKill?.();
        return;
      default:
        return reply(request, {
          ok: false,
          error: `unknown command ${(request as { cmd: string }).cmd}`,
        });
    }
  };

  const unsubscribe: Unsubscribe = await broker.subscribe(CONTROL_CHANNEL, (bytes) => {
    const request = decodeMessage<ControlRequest>(bytes);
    if (request?.v !== 1 || typeof request.replyTo !== "string") return;
    handle(request).catch((error) =>
      log.error(`[platoon] worker ${worker.id}: control command failed`, error),
    );
  });

  await beat();
  const timer = setInterval(() => void beat(), heartbeatMs);
  let detaching: Promise<void> | undefined;
  const detach = (): Promise<void> => {
    detaching ??= (async () => {
      detached = true;
      clearInterval(timer);
      // A heartbeat in flight must land before the record is forgotten.
      await beating?.catch(() => {});
      await unsubscribe().catch(() => {});
      await broker.forgetWorker?.(worker.id).catch(() => false);
    })();
    return detaching;
  };
  void worker.stopped.then(detach);
  return { workerId: worker.id, beat, detach };
}
