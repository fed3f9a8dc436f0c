import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: batch size. Removes up to that many waiting and delayed jobs (with their
 * idempotency keys) and returns {removed, more}; the caller loops, so a big purge never
 * blocks Redis for long.
 */
export const PURGE_LUA = `${COMMON_LUA}
local budget = tonumber(ARGV[1])
local removed = 0
local function drop(id)
  local jk = P .. 'j:' .. id
  local ik = redis.call('HGET', jk, 'k')
  if ik and redis.call('GET', P .. 'i:' .. ik) == id then redis.call('DEL', P .. 'i:' .. ik) end
  removed = removed + redis.call('DEL', jk)
end
for _, pri in ipairs(redis.call('ZRANGE', P .. 'pri', 0, -1)) do
  if budget <= 0 then break end
  local lk = P .. 'w:' .. pri
  local ids = redis.call('LPOP', lk, budget)
  if ids then
    for _, id in ipairs(ids) do drop(id) end
    budget = budget - #ids
  end
  if redis.call('EXISTS', lk) == 0 then redis.call('ZREM', P .. 'pri', pri) end
end
if budget > 0 then
  local ids = redis.call('ZRANGE', P .. 'delayed', 0, budget - 1)
  for _, id in ipairs(ids) do
    drop(id)
    redis.call('ZREM', P .. 'delayed', id)
  end
end
local more = redis.call('EXISTS', P .. 'pri') + redis.call('EXISTS', P .. 'delayed')
return {removed, more}
`;
