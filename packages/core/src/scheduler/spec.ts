import { Cron } from "croner";
import type { BackoffSpec } from "../contracts/broker.ts";
import { ConfigError } from "../errors.ts";

/** Options given to every job a schedule fires. */
export interface ScheduleJobOptions {
  priority?: number;
  /** Total attempts including the first. */
  attempts?: number;
  backoff?: BackoffSpec;
  timeoutMs?: number;
  resultTtlMs?: number;
  traceId?: string;
}

/** A schedule as the user writes it. Exactly one of `cron`, `every` or `at`. */
export interface ScheduleDefinition {
  /** Stable id; generated from the task name when omitted. */
  id?: string;
  task: string;
  /** Queue the jobs go to. Default: the scheduler's queue. */
  queue?: string;
  /** The task's input, encoded with the scheduler's codec. */
  input?: unknown;
  /** Cron pattern, 5 fields or 6 with seconds first (`"*\/10 * * * * *"`). */
  cron?: string;
  /** IANA time zone for `cron` (`"Europe/Paris"`). Default: the host's. */
  timezone?: string;
  /** Fixed interval: milliseconds or `"500ms"`, `"10s"`, `"5m"`, `"2h"`, `"1d"`. */
  every?: number | string;
  /** One shot at this time. */
  at?: Date | number | string;
  /** Fire at most this many jobs, then end. */
  iterations?: number;
  /** No tick before this time (inclusive). */
  startAt?: Date | number | string;
  /** No tick at or after this time. */
  endAt?: Date | number | string;
  /** Skip a tick while the job of the previous tick is still waiting or running. */
  noOverlap?: boolean;
  /** Fire once as soon as the schedule exists (or at startAt), then follow the pattern. */
  runImmediately?: boolean;
  /**
   * Ticks missed while no scheduler ran are skipped (false, the default); `{ max: n }` fires
   * up to the n most recent missed ticks when a scheduler comes back.
   */
  catchUp?: false | { max: number };
  /** A tick this late or less still counts as on time. Default 5 s. */
  graceMs?: number;
  /** Options of the jobs fired. */
  job?: ScheduleJobOptions;
}

/** The definition in plain data, as stored (times in epoch ms, interval in ms). */
export interface NormalizedDefinition {
  task: string;
  cron?: string;
  timezone?: string;
  every?: number;
  at?: number;
  iterations?: number;
  startAt?: number;
  endAt?: number;
  noOverlap?: boolean;
  runImmediately?: boolean;
  catchUp?: { max: number };
  graceMs?: number;
  job?: ScheduleJobOptions;
}

/** What `ScheduleRecord.spec` holds (as JSON). */
export interface StoredSpec {
  v: 1;
  def: NormalizedDefinition;
  /** The encoded input, base64. */
  payload: string;
  createdAt: number;
  /** Interval ticks fall on anchor + k × every. */
  anchor: number;
  /** Jobs fired so far. */
  runs: number;
  lastRunAt?: number;
  lastJobId?: string;
}

export const DEFAULT_GRACE_MS = 5_000;
/** Most ticks enumerated in one catch-up pass (a long outage of a fast cron). */
const MAX_ENUMERATED = 10_000;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `1500`, `"1500"`, `"500ms"`, `"10s"`, `"5m"`, `"2h"`, `"1d"`, `"1.5s"` → milliseconds. */
export function parseDuration(value: number | string, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value <= 0)
      throw new ConfigError(`${what} must be a positive number of ms`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!m) throw new ConfigError(`${what}: cannot read "${value}" (try 500ms, 10s, 5m, 2h, 1d)`);
  const ms = Number(m[1]) * UNITS[(m[2] ?? "ms").toLowerCase()]!;
  if (!(ms > 0)) throw new ConfigError(`${what} must be positive`);
  return ms;
}

function toTime(value: Date | number | string, what: string): number {
  const t =
    value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(t)) throw new ConfigError(`${what}: not a date: ${String(value)}`);
  return t;
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigError(`${what} must be a positive integer`);
  return value;
}

/** Checks a definition and turns it into plain stored data. Throws a ConfigError. */
export function normalizeDefinition(def: ScheduleDefinition): NormalizedDefinition {
  if (!def || typeof def.task !== "string" || def.task === "")
    throw new ConfigError("a schedule needs a task name");
  const kinds = [def.cron, def.every, def.at].filter((x) => x !== undefined).length;
  if (kinds !== 1)
    throw new ConfigError(`schedule for "${def.task}": give exactly one of cron, every or at`);
  const out: NormalizedDefinition = { task: def.task };
  if (def.cron !== undefined) {
    out.cron = def.cron.trim();
    if (def.timezone !== undefined) out.timezone = def.timezone;
    try {
      new Cron(out.cron, { paused: true, ...(out.timezone ? { timezone: out.timezone } : {}) });
    } catch (error) {
      throw new ConfigError(
        `schedule for "${def.task}": bad cron "${def.cron}": ${(error as Error).message}`,
      );
    }
  } else if (def.timezone !== undefined) {
    throw new ConfigError("timezone applies to cron schedules only");
  }
  if (def.every !== undefined) out.every = parseDuration(def.every, "every");
  if (def.at !== undefined) out.at = toTime(def.at, "at");
  if (def.iterations !== undefined) out.iterations = positiveInt(def.iterations, "iterations");
  if (def.startAt !== undefined) out.startAt = toTime(def.startAt, "startAt");
  if (def.endAt !== undefined) out.endAt = toTime(def.endAt, "endAt");
  if (out.startAt !== undefined && out.endAt !== undefined && out.endAt <= out.startAt)
    throw new ConfigError("endAt must be after startAt");
  if (def.noOverlap) out.noOverlap = true;
  if (def.runImmediately) out.runImmediately = true;
  if (def.catchUp) out.catchUp = { max: positiveInt(def.catchUp.max, "catchUp.max") };
  if (def.graceMs !== undefined) {
    if (!(def.graceMs >= 0)) throw new ConfigError("graceMs must be >= 0");
    out.graceMs = def.graceMs;
  }
  if (def.job !== undefined) {
    const job: ScheduleJobOptions = {};
    for (const key of [
      "priority",
      "attempts",
      "backoff",
      "timeoutMs",
      "resultTtlMs",
      "traceId",
    ] as const) {
      if (def.job[key] !== undefined) (job as Record<string, unknown>)[key] = def.job[key];
    }
    out.job = job;
  }
  return out;
}

const cronCache = new Map<string, Cron>();

function cronOf(def: NormalizedDefinition): Cron {
  const key = `${def.timezone ?? ""}|${def.cron}`;
  let cron = cronCache.get(key);
  if (!cron) {
    if (cronCache.size > 1_000) cronCache.clear();
    cron = new Cron(def.cron!, {
      paused: true,
      ...(def.timezone ? { timezone: def.timezone } : {}),
    });
    cronCache.set(key, cron);
  }
  return cron;
}

/** The pattern's next tick strictly after `after`, inside the window; null when none. */
export function nextTick(spec: StoredSpec, after: number): number | null {
  const def = spec.def;
  let t: number | null;
  if (def.at !== undefined) {
    t = def.at > after ? def.at : null;
    if (t !== null && def.startAt !== undefined && t < def.startAt) t = null;
  } else if (def.every !== undefined) {
    const from = def.startAt !== undefined ? Math.max(after, def.startAt - 1) : after;
    const k = Math.max(1, Math.floor((from - spec.anchor) / def.every) + 1);
    t = spec.anchor + k * def.every;
  } else {
    const from = def.startAt !== undefined ? Math.max(after, def.startAt - 1) : after;
    t = cronOf(def).nextRun(new Date(from))?.getTime() ?? null;
  }
  if (t !== null && def.endAt !== undefined && t >= def.endAt) return null;
  return t;
}

/** The first tick of a new schedule created at `now`. */
export function firstTick(spec: StoredSpec, now: number): number | null {
  const def = spec.def;
  if (def.iterations !== undefined && spec.runs >= def.iterations) return null;
  if (def.at !== undefined) {
    // A one-shot whose time has passed at creation fires at once.
    if (def.endAt !== undefined && def.at >= def.endAt) return null;
    if (def.startAt !== undefined && def.at < def.startAt) return null;
    return Math.max(def.at, now);
  }
  if (def.runImmediately) {
    const t = Math.max(now, def.startAt ?? now);
    return def.endAt !== undefined && t >= def.endAt ? null : t;
  }
  return nextTick(spec, now);
}

export interface TickPlan {
  /** Tick times to fire a job for, oldest first. */
  fire: number[];
  /** Ticks found due but skipped (missed beyond the grace time and beyond catch-up). */
  skipped: number;
  /** The first tick after now (before iterations are counted). */
  next: number | null;
}

/**
 * What to do for a schedule whose next tick `due` has come at `now`: every tick in
 * [due, now] is due; the latest fires if it is within the grace time, the older ones were
 * missed and fire only under `catchUp` (the most recent `max` of them).
 */
export function planTicks(spec: StoredSpec, due: number, now: number): TickPlan {
  const def = spec.def;
  const dueTicks: number[] = [due];
  let t: number | null = due;
  let capped = false;
  for (;;) {
    t = nextTick(spec, t);
    if (t === null || t > now) break;
    dueTicks.push(t);
    if (dueTicks.length > MAX_ENUMERATED) {
      dueTicks.shift();
      capped = true;
    }
  }
  const next = capped ? nextTick(spec, now) : t;
  const latest = dueTicks[dueTicks.length - 1]!;
  const onTime = now - latest <= (def.graceMs ?? DEFAULT_GRACE_MS);
  const missed = onTime ? dueTicks.slice(0, -1) : dueTicks;
  const max = def.catchUp?.max ?? 0;
  const caught = max > 0 ? missed.slice(-max) : [];
  let fire = onTime ? [...caught, latest] : caught;
  if (def.iterations !== undefined) fire = fire.slice(0, Math.max(0, def.iterations - spec.runs));
  return { fire, skipped: dueTicks.length - fire.length, next };
}

/** The tick after firing `fired` more jobs: null once the iterations are used up. */
export function nextAfterFiring(
  spec: StoredSpec,
  fired: number,
  next: number | null,
): number | null {
  const n = spec.def.iterations;
  if (n !== undefined && spec.runs + fired >= n) return null;
  return next;
}

export function parseSpec(text: string): StoredSpec {
  const spec = JSON.parse(text) as StoredSpec;
  if (spec?.v !== 1 || typeof spec.def?.task !== "string")
    throw new ConfigError("not a Platoon schedule spec");
  return spec;
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
