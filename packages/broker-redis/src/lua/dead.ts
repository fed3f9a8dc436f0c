import { COMMON_LUA } from "./common.ts";

/** ARGV: offset, limit. Returns 8 fields per dead letter: id, t, d, a, m, e, f, o. */
export const LIST_DEAD_LUA = `${COMMON_LUA}
local offset = tonumber(ARGV[1])
local ids = redis.call('ZRANGE', P .. 'dead', offset, offset + tonumber(ARGV[2]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', P .. 'j:' .. id, 't', 'd', 'a', 'm', 'e', 'f', 'o')
  if f[1] then
    local n = #out
    out[n + 1] = id
    for i = 1, 7 do out[n + 1 + i] = f[i] or '' end
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
    local jk = P .. 'j:' .. id
    local pri = redis.call('HGET', jk, 'p') or '0'
    if redis.call('EXISTS', jk) == 1 then
      redis.call('HDEL', jk, 'e', 'f', 'tk', 'n')
      redis.call('HSET', jk, 's', 'w', 'a', 0, 'c', now, 'r', now)
      push_waiting(id, pri, false)
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
    local jk = P .. 'j:' .. id
    local ik = redis.call('HGET', jk, 'k')
    redis.call('DEL', jk)
    if ik then
      local ttl = redis.call('PTTL', P .. 'r:' .. id)
      release_idem(id, ik, ttl > 0 and ttl or 0)
    end
    count = count + 1
  end
end
return count
`;
