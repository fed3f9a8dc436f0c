import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ScheduleDefinition } from "@platoon/core";
import { usage } from "./exit-codes.ts";
import { importModule } from "./import-module.ts";

/** What `platoon.config.{ts,mjs,js,json}` may hold. Flags and env vars win over it. */
export interface PlatoonConfig {
  /** Broker URL: redis://…, rediss://…, or memory:// (one process only). */
  broker?: string;
  queue?: string;
  /** The tasks module, relative to the config file. */
  tasks?: string;
  executor?: "inline" | "thread" | "process";
  concurrency?: number;
  maxMemoryMb?: number;
  /** Default task timeout. */
  timeoutMs?: number;
  heartbeatMs?: number;
  serializer?: string;
  compressor?: string;
  /** Run a scheduler loop in `platoon worker` (default true). */
  scheduler?: boolean;
  /** Schedules declared by `platoon worker` at start (created, or replaced when changed). */
  schedules?: (ScheduleDefinition & { id: string })[];
}

export const CONFIG_FILES = [
  "platoon.config.ts",
  "platoon.config.mts",
  "platoon.config.mjs",
  "platoon.config.js",
  "platoon.config.json",
];

export interface LoadedConfig {
  config: PlatoonConfig;
  /** The file it came from, if any. */
  file: string | undefined;
}

/** Defines a config with types (a no-op at run time). */
export function defineConfig(config: PlatoonConfig): PlatoonConfig {
  return config;
}

export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  let file: string | undefined;
  if (explicit) {
    file = isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
    if (!existsSync(file)) throw usage(`config file not found: ${file}`);
  } else {
    file = CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  }
  if (!file) return { config: {}, file: undefined };
  let config: PlatoonConfig;
  try {
    if (file.endsWith(".json")) config = JSON.parse(readFileSync(file, "utf8"));
    else {
      const mod = await importModule(pathToFileURL(file).href);
      config = (mod.default ?? mod.config ?? mod) as PlatoonConfig;
    }
  } catch (error) {
    throw usage(`cannot load ${file}: ${(error as Error).message}`);
  }
  if (!config || typeof config !== "object") throw usage(`${file} must export an object`);
  if (config.tasks && !isAbsolute(config.tasks))
    config = { ...config, tasks: resolve(dirname(file), config.tasks) };
  return { config, file };
}

const env = (name: string) => process.env[name] || undefined;

function envInt(name: string): number | undefined {
  const v = env(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw usage(`${name} must be a number, got "${v}"`);
  return n;
}

export interface Resolved {
  broker: string;
  queue: string;
  tasks: string | undefined;
  executor: "inline" | "thread" | "process";
  concurrency: number | undefined;
  maxMemoryMb: number | undefined;
  timeoutMs: number | undefined;
  heartbeatMs: number;
  scheduler: boolean;
  serializer: string | undefined;
  compressor: string | undefined;
  config: PlatoonConfig;
  configFile: string | undefined;
}

/** Flags > PLATOON_* environment variables > config file > defaults. */
export function resolveOptions(
  flags: Record<string, unknown>,
  loaded: LoadedConfig,
  cwd: string,
): Resolved {
  const c = loaded.config;
  const num = (flag: string, name: string): number | undefined => {
    const f = flags[flag];
    if (typeof f === "string") {
      const n = Number(f);
      if (!Number.isFinite(n) || n <= 0) throw usage(`--${flag} must be a positive number`);
      return n;
    }
    return envInt(name);
  };
  const executor = (flags.executor as string | undefined) ?? env("PLATOON_EXECUTOR") ?? c.executor;
  if (executor !== undefined && !["inline", "thread", "process"].includes(executor))
    throw usage(`--executor must be inline, thread or process, got "${executor}"`);
  const tasksFlag = flags.tasks as string | undefined;
  const tasksEnv = env("PLATOON_TASKS");
  const tasks = tasksFlag ?? tasksEnv;
  return {
    broker:
      (flags.broker as string | undefined) ??
      env("PLATOON_BROKER") ??
      c.broker ??
      "redis://127.0.0.1:6379",
    queue: (flags.queue as string | undefined) ?? env("PLATOON_QUEUE") ?? c.queue ?? "default",
    tasks: tasks !== undefined ? resolve(cwd, tasks) : c.tasks,
    executor: (executor ?? "thread") as Resolved["executor"],
    concurrency: num("concurrency", "PLATOON_CONCURRENCY") ?? c.concurrency,
    maxMemoryMb: num("max-memory-mb", "PLATOON_MAX_MEMORY_MB") ?? c.maxMemoryMb,
    timeoutMs: num("timeout-ms", "PLATOON_TIMEOUT_MS") ?? c.timeoutMs,
    heartbeatMs: num("heartbeat-ms", "PLATOON_HEARTBEAT_MS") ?? c.heartbeatMs ?? 2_000,
    scheduler: flags["no-scheduler"] === true ? false : (c.scheduler ?? true),
    serializer: c.serializer,
    compressor: c.compressor,
    config: c,
    configFile: loaded.file,
  };
}
