import type { WorkerRecord } from "@platoon/core";
import type { RedisClient } from "./connection.ts";
import type { KeySpace } from "./keys.ts";

/**
 * The optional worker registry: one hash, `{<prefix>}:workers`, id → `<lastSeen>|<expiresAt>|<record JSON>`.
 * Times come from Redis' clock (TIME), so hosts' clocks do not matter. Records gone for an
 * hour are pruned when listed.
 */
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], now .. '|' .. (now + tonumber(ARGV[2])) .. '|' .. ARGV[3])
return now`;

const LIST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = { tostring(now) }
for i = 1, #all, 2 do
  local exp = tonumber(string.match(all[i + 1], '^%d+|(%d+)|'))
  if exp and exp + tonumber(ARGV[1]) < now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    out[#out + 1] = all[i + 1]
  end
end
return out`;

const PRUNE_AFTER_MS = 3_600_000;

export function workersKey(keys: KeySpace): string {
  return keys.scheduleIndex().replace(/schedules$/, "workers");
}

export async function heartbeatWorker(
  client: RedisClient,
  keys: KeySpace,
  record: WorkerRecord,
  ttlMs: number,
): Promise<void> {
  const { gone: _gone, lastSeen: _seen, ...rest } = record;
  await client.eval(
    HEARTBEAT,
    1,
    workersKey(keys),
    record.id,
    String(Math.max(1, Math.floor(ttlMs))),
    JSON.stringify(rest),
  );
}

export async function listWorkers(client: RedisClient, keys: KeySpace): Promise<WorkerRecord[]> {
  const reply = (await client.eval(LIST, 1, workersKey(keys), String(PRUNE_AFTER_MS))) as string[];
  const now = Number(reply[0]);
  const out: WorkerRecord[] = [];
  for (const entry of reply.slice(1)) {
    const m = /^(\d+)\|(\d+)\|([\s\S]*)$/.exec(entry);
    if (!m) continue;
    try {
      const record = JSON.parse(m[3]!) as WorkerRecord;
      out.push({ ...record, lastSeen: Number(m[1]), gone: Number(m[2]) <= now });
    } catch {
      // A record that is not ours: skip it.
    }
  }
  return out;
}

export async function forgetWorker(
  client: RedisClient,
  keys: KeySpace,
  id: string,
): Promise<boolean> {
  return (await client.hdel(workersKey(keys), id)) === 1;
}
