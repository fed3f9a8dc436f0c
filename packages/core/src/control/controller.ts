import type { Broker, WorkerRecord } from "../contracts/broker.ts";
import { ConfigError } from "../errors.ts";
import { newId } from "../util/ids.ts";
import {
  CONTROL_CHANNEL,
  type ControlCommand,
  type ControlReply,
  type ControlRequest,
  decodeMessage,
  encodeMessage,
  pausedQueueLock,
  replyChannel,
} from "./protocol.ts";

export interface ControllerOptions {
  broker: Broker;
  /** How long to wait for replies. Default 2 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  timeoutMs?: number;
}

/** Marks a paused queue for 30 days; resume removes it. */
const PAUSE_TTL_MS = 30 * 24 * 3_600_000;
const PAUSE_OWNER = "platoon-controller";

/**
 * Talks to attached workers over the broker's control channel: each request is published
 * on `platoon:control` and the workers answer on `platoon:reply:<requestId>`. A request
 * to one worker resolves at its reply; one to all (`"*"`) once every live worker known to
 * the registry has answered, or at the timeout.
 */
export class Controller {
  readonly broker: Broker;
  readonly #timeoutMs: number;

  constructor(options: ControllerOptions) {
    if (!options?.broker) throw new ConfigError("createController needs a broker");
    this.broker = options.broker;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** Sends a command and collects the replies. */
  async request<T = unknown>(
    target: string,
    command: ControlCommand,
    options: RequestOptions = {},
  ): Promise<ControlReply<T>[]> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const id = newId();
    const replyTo = replyChannel(id);
    const replies: ControlReply<T>[] = [];
    // Who should answer: the target, or every live worker the registry knows (of the
    // command's queue); without a registry a broadcast waits the whole timeout.
    let expected: Set<string> | undefined;
    if (target !== "*") expected = new Set([target]);
    else if (this.broker.listWorkers) {
      const queue = "queue" in command ? command.queue : undefined;
      const live = (await this.broker.listWorkers()).filter(
        (w) => !w.gone && (queue === undefined || w.queues.includes(queue)),
      );
      expected = new Set(live.map((w) => w.id));
    }
    const exact = expected !== undefined;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const unsubscribe = await this.broker.subscribe(replyTo, (bytes) => {
      const reply = decodeMessage<ControlReply<T>>(bytes);
      if (!reply || reply.requestId !== id) return;
      if (replies.some((r) => r.workerId === reply.workerId)) return;
      replies.push(reply);
      if (exact && expected && [...expected].every((w) => replies.some((r) => r.workerId === w)))
        finish();
    });
    const timer = setTimeout(finish, timeoutMs);
    try {
      const request = { v: 1, id, target, replyTo, ...command } as ControlRequest;
      await this.broker.publish(CONTROL_CHANNEL, encodeMessage(request));
      if (exact && expected?.size === 0) finish();
      await done;
    } finally {
      clearTimeout(timer);
      await unsubscribe().catch(() => {});
    }
    return replies;
  }

  /** Round trip to one worker or all ("*"). Each reply's data has `pong` (the worker's clock). */
  async ping(
    target = "*",
    options: RequestOptions = {},
  ): Promise<(ControlReply<{ pong: number; state: string }> & { latencyMs: number })[]> {
    const started = Date.now();
    const replies = await this.request<{ pong: number; state: string }>(
      target,
      { cmd: "ping" },
      options,
    );
    return replies.map((r) => ({ ...r, latencyMs: Math.max(0, Date.now() - started) }));
  }

  /**
   * Every worker the registry knows (with `gone` for those whose heartbeat expired), with
   * live ones' fresh status merged in when they answer in time.
   */
  async status(options: RequestOptions = {}): Promise<WorkerRecord[]> {
    const registered = this.broker.listWorkers ? await this.broker.listWorkers() : [];
    const replies = await this.request<WorkerRecord>("*", { cmd: "status" }, options);
    const byId = new Map(registered.map((w) => [w.id, w]));
    for (const r of replies) {
      if (!r.ok || !r.data) continue;
      const known = byId.get(r.workerId);
      byId.set(r.workerId, { ...known, ...r.data, lastSeen: Date.now(), gone: false });
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Pauses every worker of a queue, now and (through a marker in the broker) when they start later. */
  async pause(queue: string, options: RequestOptions = {}): Promise<ControlReply[]> {
    const lock = pausedQueueLock(queue);
    if (!(await this.broker.acquireLock(lock, PAUSE_OWNER, PAUSE_TTL_MS)))
      await this.broker.extendLock(lock, PAUSE_OWNER, PAUSE_TTL_MS);
    return this.request("*", { cmd: "pause", queue }, options);
  }

  async resume(queue: string, options: RequestOptions = {}): Promise<ControlReply[]> {
    await this.broker.releaseLock(pausedQueueLock(queue), PAUSE_OWNER);
    return this.request("*", { cmd: "resume", queue }, options);
  }

  /** Whether a controller paused this queue. */
  isPaused(queue: string): Promise<boolean> {
    return this.broker.isLocked(pausedQueueLock(queue));
  }

  async setConcurrency(
    workerId: string,
    concurrency: number,
    options: RequestOptions = {},
  ): Promise<ControlReply<{ concurrency: number }>[]> {
    if (!Number.isInteger(concurrency) || concurrency <= 0)
      throw new ConfigError("concurrency must be a positive integer");
    return this.request(workerId, { cmd: "concurrency", concurrency }, options);
  }

  /** Stops one worker or all ("*"); graceful by default. Resolves at the acknowledgements. */
  async stop(
    workerId: string,
    options: RequestOptions & { graceful?: boolean; stopTimeoutMs?: number } = {},
  ): Promise<ControlReply[]> {
    return this.request(
      workerId,
      {
        cmd: "stop",
        graceful: options.graceful ?? true,
        ...(options.stopTimeoutMs === undefined ? {} : { timeoutMs: options.stopTimeoutMs }),
      },
      options,
    );
  }

  /** Stops a worker at once (running jobs are handed back); the CLI's worker process exits. */
  async kill(workerId: string, options: RequestOptions = {}): Promise<ControlReply[]> {
    return this.request(workerId, { cmd: "kill" }, options);
  }

  /** Drops a worker's record from the registry (one that is gone). */
  async forget(workerId: string): Promise<boolean> {
    return (await this.broker.forgetWorker?.(workerId)) ?? false;
  }
}

export function createController(options: ControllerOptions): Controller {
  return new Controller(options);
}
