import type { RedisClient } from "./connection.ts";
import { CANCEL_LUA } from "./lua/cancel.ts";
import { CLAIM_TICK_LUA } from "./lua/claim-tick.ts";
import { CYCLE_LUA } from "./lua/cycle.ts";
import { DELETE_DEAD_LUA, LIST_DEAD_LUA, REQUEUE_DEAD_LUA } from "./lua/dead.ts";
import { ENQUEUE_LUA } from "./lua/enqueue.ts";
import { EXTEND_LUA } from "./lua/extend.ts";
import { GET_JOB_LUA } from "./lua/get-job.ts";
import { EXTEND_LOCK_LUA, RELEASE_LOCK_LUA } from "./lua/locks.ts";
import { PURGE_LUA } from "./lua/purge.ts";
import { STATS_LUA } from "./lua/stats.ts";

const SCRIPTS = {
  platoonEnqueue: ENQUEUE_LUA,
  platoonCycle: CYCLE_LUA,
  platoonExtend: EXTEND_LUA,
  platoonCancel: CANCEL_LUA,
  platoonStats: STATS_LUA,
  platoonPurge: PURGE_LUA,
  platoonListDead: LIST_DEAD_LUA,
  platoonRequeueDead: REQUEUE_DEAD_LUA,
  platoonDeleteDead: DELETE_DEAD_LUA,
  platoonGetJob: GET_JOB_LUA,
  platoonClaimTick: CLAIM_TICK_LUA,
  platoonReleaseLock: RELEASE_LOCK_LUA,
  platoonExtendLock: EXTEND_LOCK_LUA,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number | Buffer;

/**
 * Runs one of our scripts by EVALSHA (ioredis loads it on first use per connection and
 * again after NOSCRIPT, e.g. when Redis restarted). Every script takes one key: the
 * queue's base key, or the lock key. `buffers` returns bulk replies as Buffers, which
 * payloads need.
 */
export type ScriptRunner = (
  name: ScriptName,
  key: string,
  args: Arg[],
  buffers?: boolean,
) => Promise<unknown>;

export function installScripts(client: RedisClient): ScriptRunner {
  const target = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (typeof target[name] !== "function") client.defineCommand(name, { numberOfKeys: 1, lua });
  }
  return (name, key, args, buffers = false) =>
    target[buffers ? `${name}Buffer` : name]!.call(client, key, ...args);
}
