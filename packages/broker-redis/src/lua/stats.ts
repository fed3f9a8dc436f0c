import { COMMON_LUA } from "./common.ts";

/** No ARGV. Returns {waiting, delayed, active, dead, results}. */
export const STATS_LUA = `${COMMON_LUA}
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', P .. 'results', '-inf', now)
local waiting = 0
for _, pri in ipairs(redis.call('ZRANGE', P .. 'pri', 0, -1)) do
  waiting = waiting + redis.call('LLEN', P .. 'w:' .. pri)
end
-- Running jobs: the jobs left in each live lease batch (a few batches per worker).
local active = 0
for _, nonce in ipairs(redis.call('ZRANGE', P .. 'active', 0, -1)) do
  active = active + redis.call('SCARD', P .. 'L:' .. nonce)
end
-- Due delayed jobs count as waiting, as they would after the next reserve.
local due = redis.call('ZCOUNT', P .. 'delayed', '-inf', now)
return {
  waiting + due,
  redis.call('ZCARD', P .. 'delayed') - due,
  active,
  redis.call('ZCARD', P .. 'dead'),
  redis.call('ZCARD', P .. 'results')
}
`;
