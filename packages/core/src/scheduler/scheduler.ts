import { type Codec, type CodecConfig, createCodec } from "../codec/codec.ts";
import type { Broker, JobState, NewJob, ScheduleRecord } from "../contracts/broker.ts";
import { ConfigError, PlatoonError } from "../errors.ts";
import { newId } from "../util/ids.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  firstTick,
  fromBase64,
  type NormalizedDefinition,
  nextAfterFiring,
  nextTick,
  normalizeDefinition,
  parseSpec,
  planTicks,
  type ScheduleDefinition,
  type StoredSpec,
  toBase64,
} from "./spec.ts";

/** Channel on which schedule changes are announced, so other schedulers look again at once. */
export const SCHEDULES_CHANNEL = "platoon:schedules";

export interface SchedulerOptions extends CodecConfig {
  broker: Broker;
  /** Queue of schedules that name none. Default "default". */
  queue?: string;
  /** Only fire schedules of these queues. Default: all. */
  queues?: string[];
  codec?: Codec;
  /** Default: real time. */
  clock?: Clock;
  /** How often the loop re-reads the schedules from the broker. Default 1 s. */
  refreshMs?: number;
  /** Lease on a schedule while one scheduler fires or edits it. Default 30 s. */
  lockTtlMs?: number;
  id?: string;
  logger?: Pick<Console, "warn" | "error">;
}

/** A schedule as the scheduler reports it. */
export interface ScheduleInfo {
  id: string;
  queue: string;
  task: string;
  kind: "cron" | "every" | "at";
  definition: NormalizedDefinition;
  /** The decoded input. */
  input: unknown;
  nextRunAt: Date | null;
  paused: boolean;
  /** Jobs fired so far. */
  runs: number;
  lastRunAt: Date | undefined;
  lastJobId: string | undefined;
  createdAt: Date;
  updatedAt: Date;
}

const LIVE: ReadonlySet<JobState> = new Set(["waiting", "delayed", "active"]);

/**
 * Creates, edits and fires schedules stored in the broker. Any number of schedulers may run
 * on one broker: each tick is claimed with `claimScheduleTick`, so exactly one job is
 * enqueued per tick. The loop sleeps until the next due tick and re-reads the schedules
 * every `refreshMs` (and when another scheduler announces a change).
 */
export class Scheduler {
  readonly id: string;
  readonly broker: Broker;
  readonly queue: string;
  readonly codec: Codec;
  readonly clock: Clock;
  readonly #queues: Set<string> | undefined;
  readonly #refreshMs: number;
  readonly #lockTtlMs: number;
  readonly #log: Pick<Console, "warn" | "error">;
  #known: ScheduleRecord[] = [];
  #running = false;
  #timer: unknown;
  #cycling: Promise<void> | undefined;
  #again = false;
  #unsubscribe: (() => Promise<void>) | undefined;
  #fired = 0;

  constructor(options: SchedulerOptions & { codec: Codec }) {
    if (!options?.broker) throw new ConfigError("createScheduler needs a broker");
    this.broker = options.broker;
    this.codec = options.codec;
    this.queue = options.queue ?? "default";
    this.#queues = options.queues ? new Set(options.queues) : undefined;
    this.clock = options.clock ?? systemClock;
    this.#refreshMs = options.refreshMs ?? 1_000;
    this.#lockTtlMs = options.lockTtlMs ?? 30_000;
    this.id = options.id ?? `scheduler-${newId()}`;
    this.#log = options.logger ?? console;
  }

  /** Jobs this scheduler has enqueued. */
  get fired(): number {
    return this.#fired;
  }

  get running(): boolean {
    return this.#running;
  }

  // ---- editing -----------------------------------------------------------------------

  /** Adds a schedule; fails if its id exists. */
  async create(definition: ScheduleDefinition): Promise<ScheduleInfo> {
    const id = definition.id ?? `${definition.task}-${newId()}`;
    const existing = await this.broker.getSchedule(id);
    if (existing) throw new ConfigError(`schedule "${id}" exists; use set() or update()`);
    return this.#write(id, definition, undefined);
  }

  /**
   * Creates the schedule or replaces its definition. An identical definition leaves the
   * stored schedule as it is (its counters, its pause), so a process can declare its
   * schedules at every start.
   */
  async set(definition: ScheduleDefinition & { id: string }): Promise<ScheduleInfo> {
    const existing = await this.broker.getSchedule(definition.id);
    return this.#write(definition.id, definition, existing);
  }

  /** Changes some fields of a schedule; counters are kept, the next tick is recomputed. */
  async update(id: string, patch: Partial<ScheduleDefinition>): Promise<ScheduleInfo> {
    return this.#locked(id, async () => {
      const record = await this.#mustGet(id);
      const spec = parseSpec(record.spec);
      const old = { ...spec.def } as ScheduleDefinition;
      const merged: ScheduleDefinition = { ...old, ...patch };
      // Switching kind: the patch's kind replaces the old one.
      if (patch.cron !== undefined || patch.every !== undefined || patch.at !== undefined) {
        if (patch.cron === undefined) delete merged.cron;
        if (patch.every === undefined) delete merged.every;
        if (patch.at === undefined) delete merged.at;
        if (patch.cron === undefined && patch.timezone === undefined) delete merged.timezone;
      }
      const def = normalizeDefinition(merged);
      const now = this.clock.now();
      const next: StoredSpec = { ...spec, def };
      if ("input" in patch) next.payload = toBase64(await this.codec.encode(patch.input));
      if (def.every !== spec.def.every || def.startAt !== spec.def.startAt)
        next.anchor = def.startAt ?? now;
      const nextRunAt =
        def.iterations !== undefined && next.runs >= def.iterations ? null : nextTick(next, now);
      const updated: ScheduleRecord = {
        ...record,
        queue: patch.queue ?? record.queue,
        spec: JSON.stringify(next),
        nextRunAt,
        updatedAt: now,
      };
      await this.broker.saveSchedule(updated);
      return this.#info(updated);
    }).finally(() => this.#announce(id));
  }

  /** Stops firing a schedule until resumed. */
  async pause(id: string): Promise<ScheduleInfo> {
    return this.#locked(id, async () => {
      const record = await this.#mustGet(id);
      const updated = { ...record, paused: true, updatedAt: this.clock.now() };
      await this.broker.saveSchedule(updated);
      return this.#info(updated);
    }).finally(() => this.#announce(id));
  }

  /** Resumes a paused schedule from the next tick after now (ticks while paused are not fired). */
  async resume(id: string): Promise<ScheduleInfo> {
    return this.#locked(id, async () => {
      const record = await this.#mustGet(id);
      const now = this.clock.now();
      const spec = parseSpec(record.spec);
      let nextRunAt = record.nextRunAt;
      if (nextRunAt !== null && nextRunAt < now) {
        nextRunAt =
          spec.def.at !== undefined ? nextRunAt : nextAfterFiring(spec, 0, nextTick(spec, now - 1));
      }
      const updated = { ...record, paused: false, nextRunAt, updatedAt: now };
      await this.broker.saveSchedule(updated);
      return this.#info(updated);
    }).finally(() => this.#announce(id));
  }

  /** Deletes a schedule. False when there was none. */
  async delete(id: string): Promise<boolean> {
    return this.#locked(id, () => this.broker.deleteSchedule(id)).finally(() => this.#announce(id));
  }

  async get(id: string): Promise<ScheduleInfo | undefined> {
    const record = await this.broker.getSchedule(id);
    return record && this.#info(record);
  }

  /** Every schedule (of one queue when given), ordered by next run. */
  async list(queue?: string): Promise<ScheduleInfo[]> {
    const records = await this.broker.listSchedules(queue);
    const infos = await Promise.all(records.map((r) => this.#info(r)));
    return infos.sort(
      (a, b) =>
        (a.nextRunAt?.getTime() ?? Number.POSITIVE_INFINITY) -
          (b.nextRunAt?.getTime() ?? Number.POSITIVE_INFINITY) || a.id.localeCompare(b.id),
    );
  }

  // ---- firing ------------------------------------------------------------------------

  /** Starts the loop that fires due ticks. */
  async start(): Promise<this> {
    if (this.#running) return this;
    this.#running = true;
    if (this.broker.capabilities?.control !== false) {
      try {
        this.#unsubscribe = await this.broker.subscribe(SCHEDULES_CHANNEL, () => this.#wake());
      } catch (error) {
        this.#log.warn(`[platoon] scheduler: cannot subscribe to ${SCHEDULES_CHANNEL}`, error);
      }
    }
    this.#wake();
    return this;
  }

  /** Stops the loop; a tick being fired finishes first. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    await unsubscribe?.().catch(() => {});
    await this.#cycling;
  }

  /** Re-reads the schedules and fires every due tick once. Resolves to the jobs enqueued. */
  async tick(): Promise<number> {
    const records = await this.broker.listSchedules();
    this.#known = records.filter((r) => !this.#queues || this.#queues.has(r.queue));
    const now = this.clock.now();
    let fired = 0;
    for (const r of this.#known) {
      if (r.paused || r.nextRunAt === null || r.nextRunAt > now) continue;
      try {
        fired += await this.#fire(r.id);
      } catch (error) {
        this.#log.error(`[platoon] scheduler: schedule "${r.id}" failed to fire`, error);
      }
    }
    return fired;
  }

  #wake(): void {
    if (!this.#running) return;
    if (this.#cycling) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#cycling = this.#cycle().finally(() => {
      this.#cycling = undefined;
      if (this.#again) {
        this.#again = false;
        this.#wake();
      }
    });
  }

  async #cycle(): Promise<void> {
    let delay = this.#refreshMs;
    try {
      await this.tick();
      const now = this.clock.now();
      for (const r of this.#known) {
        if (r.paused || r.nextRunAt === null) continue;
        // A record still due was held by another scheduler's lock: look again soon.
        delay = Math.min(delay, Math.max(r.nextRunAt <= now ? 50 : 0, r.nextRunAt - now));
      }
    } catch (error) {
      this.#log.error("[platoon] scheduler: cannot read schedules", error);
    }
    if (!this.#running || this.#again) return;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#wake();
    }, delay);
  }

  async #fire(id: string): Promise<number> {
    return (
      (await this.#locked(
        id,
        async () => {
          const record = await this.broker.getSchedule(id);
          const now = this.clock.now();
          if (!record || record.paused || record.nextRunAt === null || record.nextRunAt > now)
            return 0;
          const due = record.nextRunAt;
          const spec = parseSpec(record.spec);
          const plan = planTicks(spec, due, now);
          let fire = plan.fire;
          if (spec.def.noOverlap && fire.length > 0) {
            fire = fire.slice(-1);
            if (spec.lastJobId !== undefined) {
              const last = await this.broker.getJob(record.queue, spec.lastJobId);
              if (last && LIVE.has(last.state)) fire = [];
            }
          }
          const nextRunAt = nextAfterFiring(spec, fire.length, plan.next);
          const payload = fromBase64(spec.payload);
          const jobs = fire.map((tickAt) => this.#job(spec, payload, tickAt, now));
          const won = await this.broker.claimScheduleTick(id, due, nextRunAt, jobs);
          if (!won || jobs.length === 0) return 0;
          const updated: StoredSpec = {
            ...spec,
            runs: spec.runs + jobs.length,
            lastRunAt: fire[fire.length - 1]!,
            lastJobId: jobs[jobs.length - 1]!.id,
          };
          await this.broker.saveSchedule({
            ...record,
            spec: JSON.stringify(updated),
            nextRunAt,
            updatedAt: now,
          });
          this.#fired += jobs.length;
          return jobs.length;
        },
        false,
      )) ?? 0
    );
  }

  #job(spec: StoredSpec, payload: Uint8Array, _tickAt: number, now: number): NewJob {
    const o = spec.def.job ?? {};
    const job: NewJob = { id: newId(), task: spec.def.task, payload, createdAt: now };
    if (o.priority !== undefined) job.priority = o.priority;
    if (o.attempts !== undefined) job.maxAttempts = o.attempts;
    if (o.backoff !== undefined) job.backoff = o.backoff;
    if (o.timeoutMs !== undefined) job.timeoutMs = o.timeoutMs;
    if (o.resultTtlMs !== undefined) job.resultTtlMs = o.resultTtlMs;
    if (o.traceId !== undefined) job.traceId = o.traceId;
    return job;
  }

  // ---- helpers -----------------------------------------------------------------------

  async #write(
    id: string,
    definition: ScheduleDefinition,
    existing: ScheduleRecord | undefined,
  ): Promise<ScheduleInfo> {
    const def = normalizeDefinition(definition);
    const payload = toBase64(await this.codec.encode(definition.input ?? null));
    const queue = definition.queue ?? this.queue;
    if (existing) {
      const old = parseSpec(existing.spec);
      if (
        existing.queue === queue &&
        JSON.stringify(old.def) === JSON.stringify(def) &&
        old.payload === payload
      ) {
        return this.#info(existing);
      }
    }
    const now = this.clock.now();
    const spec: StoredSpec = {
      v: 1,
      def,
      payload,
      createdAt: now,
      anchor: def.startAt ?? now,
      runs: 0,
    };
    const record: ScheduleRecord = {
      id,
      queue,
      spec: JSON.stringify(spec),
      nextRunAt: firstTick(spec, now),
      paused: existing?.paused ?? false,
      updatedAt: now,
    };
    await this.#locked(id, () => this.broker.saveSchedule(record));
    this.#announce(id);
    return this.#info(record);
  }

  async #mustGet(id: string): Promise<ScheduleRecord> {
    const record = await this.broker.getSchedule(id);
    if (!record) throw new PlatoonError("CONFIG", `no schedule "${id}"`);
    return record;
  }

  /**
   * Runs `fn` holding the schedule's lock. Edits wait for it (a few seconds at most);
   * firing gives up at once (the holder fires the tick) and resolves to undefined.
   */
  async #locked<T>(id: string, fn: () => Promise<T>): Promise<T>;
  async #locked<T>(id: string, fn: () => Promise<T>, wait: false): Promise<T | undefined>;
  async #locked<T>(id: string, fn: () => Promise<T>, wait = true): Promise<T | undefined> {
    const name = `platoon:schedule:${id}`;
    const owner = `${this.id}:${newId()}`;
    for (let attempt = 0; !(await this.broker.acquireLock(name, owner, this.#lockTtlMs)); ) {
      if (!wait) return undefined;
      if (++attempt > 100) throw new PlatoonError("TIMEOUT", `schedule "${id}" stays locked`);
      await new Promise<void>((r) => setTimeout(r, 20));
    }
    try {
      return await fn();
    } finally {
      await this.broker.releaseLock(name, owner).catch(() => false);
    }
  }

  #announce(id: string): void {
    if (this.broker.capabilities?.control === false) return;
    this.broker.publish(SCHEDULES_CHANNEL, new TextEncoder().encode(id)).catch(() => {});
    this.#wake();
  }

  async #info(record: ScheduleRecord): Promise<ScheduleInfo> {
    const spec = parseSpec(record.spec);
    const def = spec.def;
    let input: unknown;
    try {
      input = await this.codec.decode(fromBase64(spec.payload));
    } catch {
      input = undefined;
    }
    return {
      id: record.id,
      queue: record.queue,
      task: def.task,
      kind: def.cron !== undefined ? "cron" : def.every !== undefined ? "every" : "at",
      definition: def,
      input,
      nextRunAt: record.nextRunAt === null ? null : new Date(record.nextRunAt),
      paused: record.paused,
      runs: spec.runs,
      lastRunAt: spec.lastRunAt === undefined ? undefined : new Date(spec.lastRunAt),
      lastJobId: spec.lastJobId,
      createdAt: new Date(spec.createdAt),
      updatedAt: new Date(record.updatedAt),
    };
  }
}

/** Builds the codec (from options or the environment) and a Scheduler; call `start()` to fire. */
export async function createScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const codec = options.codec ?? (await createCodec(options));
  return new Scheduler({ ...options, codec });
}
