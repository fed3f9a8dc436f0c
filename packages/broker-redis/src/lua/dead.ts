import { COMMON_LUA } from "./common.ts";

/** ARGV: offset, limit. Returns 5 fields per dead letter: id, body, attempt, error, failedAt. */
export const LIST_DEAD_LUA = `${COMMON_LUA}
local offset = tonumber(ARGV[1])
local dead = redis.call('ZRANGE', P .. 'dead', offset, offset + tonumber(ARGV[2]) - 1, 'WITHSCORES')
local out = {}
for k = 1, #dead, 2 do
  local id = dead[k]
  local body = redis.call('HGET', JOBS, id)
  if body then
    local n = #out
    out[n + 1] = id
    out[n + 2] = body
    out[n + 3] = redis.call('HGET', ATT, id) or '0'
    out[n + 4] = redis.call('HGET', ERR, id) or ''
    out[n + 5] = dead[k + 1]
  end
end
return out
`;

/**
 * ARGV: ids (none = all). Dead letters go back to waiting with fresh attempts; their
 * failed results are dropped. Returns how many moved.
 */
export const REQUEUE_DEAD_LUA = `${COMMON_LUA}
local ids = ARGV
if #ids == 0 then ids = redis.call('ZRANGE', P .. 'dead', 0, -1) end
local now = now_ms()
local count = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', P .. 'dead', id) == 1 then
    local h = job_header(id)
    if h then
      redis.call('HDEL', ERR, id)
      redis.call('HDEL', ATT, id)
      redis.call('HSET', READY, id, now)
      push_waiting(id, h.p or '0', false)
      redis.call('DEL', P .. 'r:' .. id)
      redis.call('ZREM', P .. 'results', id)
      count = count + 1
    end
  end
end
if count > 0 then wake() end
return count
`;

/** ARGV: ids (none = all). Deletes dead letters; their kept results stay. */
export const DELETE_DEAD_LUA = `${COMMON_LUA}
local ids = ARGV
if #ids == 0 then ids = redis.call('ZRANGE', P .. 'dead', 0, -1) end
local count = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', P .. 'dead', id) == 1 then
    local _, ik = meta_of(job_meta(id), 0)
    forget({id})
    if ik then
      local ttl = redis.call('PTTL', P .. 'r:' .. id)
      release_idem(id, ik, ttl > 0 and ttl or 0)
    end
    count = count + 1
  end
end
return count
`;
