import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: batch size. Removes up to that many waiting and delayed jobs (with their
 * idempotency keys) and returns {removed, more}; the caller loops, so a big purge never
 * blocks Redis for long.
 */
export const PURGE_LUA = `${COMMON_LUA}
local budget = tonumber(ARGV[1])
local gone = {}
local function drop(ids)
  if #ids == 0 then return end
  -- Only idempotent jobs need their key released; their bodies say so in a prefix.
  for i = 1, #ids, 1000 do
    local bodies = redis.call('HMGET', JOBS, unpack(ids, i, math.min(i + 999, #ids)))
    for k, body in ipairs(bodies) do
      if body then
        local _, ik = meta_of(meta_from_body(body), 0)
        release_idem(ids[i + k - 1], ik, 0)
      end
    end
  end
  for _, id in ipairs(ids) do gone[#gone + 1] = id end
end
for _, pri in ipairs(redis.call('ZRANGE', P .. 'pri', 0, -1)) do
  if budget <= 0 then break end
  local lk = P .. 'w:' .. pri
  local ids = redis.call('LPOP', lk, budget)
  if ids then
    drop(ids)
    budget = budget - #ids
  end
  if redis.call('EXISTS', lk) == 0 then redis.call('ZREM', P .. 'pri', pri) end
end
if budget > 0 then
  local ids = redis.call('ZRANGE', P .. 'delayed', 0, budget - 1)
  if #ids > 0 then
    drop(ids)
    batch('ZREM', P .. 'delayed', ids)
  end
end
local removed = 0
if #gone > 0 then
  for i = 1, #gone, 4000 do
    removed = removed + redis.call('HDEL', JOBS, unpack(gone, i, math.min(i + 3999, #gone)))
  end
  forget(gone)
end
local more = redis.call('EXISTS', P .. 'pri') + redis.call('EXISTS', P .. 'delayed')
if more == 0 then redis.call('DEL', P .. 'marker') end
return {removed, more}
`;
