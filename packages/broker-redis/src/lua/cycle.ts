import { COMMON_LUA } from "./common.ts";

/**
 * Settle, then reserve, in one script: the busy worker's single round trip. `settle` is
 * this script with max = 0 and `reserve` is it with no settlements.
 *
 * ARGV: max, leaseMs, token nonce, consumer, maxDeliveries, default result ttl,
 *       settlement count, then 5 per settlement: kind (c|r|d|q), id, token,
 *       data (result bytes or error JSON), runAt ('' = absent).
 * Returns {now, deadline, settle codes (1 ok, 0 stale lease, -1 unknown job),
 *          deliveries (11 fields each), next wake-up time ('' = none)}.
 */
export const CYCLE_LUA = `${COMMON_LUA}
local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local nonce = ARGV[3]
local consumer = ARGV[4]
local max_deliveries = tonumber(ARGV[5])
local default_ttl = tonumber(ARGV[6])
local ns = tonumber(ARGV[7])
local now = now_ms()
local done = {}
local codes = {}
local need_wake = false
local active = P .. 'active'

for i = 0, ns - 1 do
  local b = 8 + i * 5
  local kind, id, token = ARGV[b], ARGV[b + 1], ARGV[b + 2]
  local jk = P .. 'j:' .. id
  local f = redis.call('HMGET', jk, 'tk', 'p', 'a', 'l', 'k', 't')
  if not f[6] then
    codes[#codes + 1] = -1
  elseif f[1] ~= token then
    codes[#codes + 1] = 0
  else
    codes[#codes + 1] = 1
    redis.call('ZREM', active, id)
    if kind == 'c' then
      local ttl = job_ttl(f[4], default_ttl)
      local kept = store_result(id, 'c', ARGV[b + 3], ttl, now, f[6], f[3])
      redis.call('DEL', jk)
      release_idem(id, f[5], kept and ttl or 0)
      done[#done + 1] = id
    elseif kind == 'd' then
      bury(id, jk, ARGV[b + 3], now, job_ttl(f[4], default_ttl), f[6], f[3])
      done[#done + 1] = id
    elseif kind == 'r' then
      local at = tonumber(ARGV[b + 4]) or now
      redis.call('HDEL', jk, 'tk', 'n')
      redis.call('HSET', jk, 'e', ARGV[b + 3])
      if at > now then
        redis.call('HSET', jk, 's', 'd', 'r', at)
        redis.call('ZADD', P .. 'delayed', at, id)
      else
        redis.call('HSET', jk, 's', 'w', 'r', now)
        push_waiting(id, f[2] or '0', false)
      end
      need_wake = true
    else
      -- requeue: handed back unrun, so the delivery does not count
      local a = math.max(0, tonumber(f[3] or '1') - 1)
      local at = tonumber(ARGV[b + 4]) or now
      redis.call('HDEL', jk, 'tk', 'n')
      if at > now then
        redis.call('HSET', jk, 's', 'd', 'r', at, 'a', a)
        redis.call('ZADD', P .. 'delayed', at, id)
      else
        redis.call('HSET', jk, 's', 'w', 'r', now, 'a', a)
        push_waiting(id, f[2] or '0', true)
      end
      need_wake = true
    end
  end
end

local out = {}
local next_wake = ''
local deadline = now + lease
if max > 0 then
  -- Leases that ran out: any reserving worker recovers them, no daemon needed.
  local expired = redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(expired) do
    redis.call('ZREM', active, id)
    local jk = P .. 'j:' .. id
    local f = redis.call('HMGET', jk, 'a', 'm', 'p', 'l', 't')
    if f[5] then
      local a = tonumber(f[1] or '0')
      local m = f[2] and tonumber(f[2])
      redis.call('HDEL', jk, 'tk', 'n')
      if a >= (m or max_deliveries) then
        local err = cjson.encode({
          name = 'LeaseExpired',
          fault = 'LeaseExpired',
          retryable = false,
          message = 'job ' .. id .. ' (' .. f[5] .. ') was delivered ' .. a ..
            ' times and its lease expired each time: the worker running it died or hung'
        })
        bury(id, jk, err, now, job_ttl(f[4], default_ttl), f[5], a)
        done[#done + 1] = id
      else
        redis.call('HSET', jk, 's', 'w', 'r', now)
        push_waiting(id, f[3] or '0', true)
      end
    end
  end

  local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, math.max(1000, max))
  for _, id in ipairs(due) do
    redis.call('ZREM', P .. 'delayed', id)
    local jk = P .. 'j:' .. id
    local f = redis.call('HMGET', jk, 'p', 't')
    if f[2] then
      redis.call('HSET', jk, 's', 'w')
      push_waiting(id, f[1] or '0', false)
    end
  end

  local got = 0
  local seq = 0
  local pri = P .. 'pri'
  while got < max do
    local lv = redis.call('ZRANGE', pri, 0, 0)[1]
    if not lv then break end
    local lk = P .. 'w:' .. lv
    local ids = redis.call('LPOP', lk, max - got)
    if (not ids) or redis.call('EXISTS', lk) == 0 then redis.call('ZREM', pri, lv) end
    if ids then
      for _, id in ipairs(ids) do
        local jk = P .. 'j:' .. id
        local f = redis.call('HMGET', jk, 't', 'd', 'p', 'a', 'c', 'r', 'm', 'l', 'o')
        if f[1] then
          local a = tonumber(f[4] or '0') + 1
          seq = seq + 1
          local token = nonce .. seq
          if consumer ~= '' then
            redis.call('HSET', jk, 'a', a, 's', 'a', 'tk', token, 'n', consumer)
          else
            redis.call('HSET', jk, 'a', a, 's', 'a', 'tk', token)
          end
          redis.call('ZADD', active, deadline, id)
          local n = #out
          out[n + 1] = id
          out[n + 2] = f[1]
          out[n + 3] = f[2]
          out[n + 4] = f[3] or '0'
          out[n + 5] = a
          out[n + 6] = f[5]
          out[n + 7] = f[6] or f[5]
          out[n + 8] = f[7] or ''
          out[n + 9] = f[8] or ''
          out[n + 10] = f[9] or ''
          out[n + 11] = token
          got = got + 1
        end
      end
    end
  end
  if got > 0 and redis.call('EXISTS', pri) == 1 then need_wake = true end
  if got == 0 then
    local d = redis.call('ZRANGE', P .. 'delayed', 0, 0, 'WITHSCORES')[2]
    local l = redis.call('ZRANGE', active, 0, 0, 'WITHSCORES')[2]
    if d and l then next_wake = math.min(tonumber(d), tonumber(l))
    elseif d then next_wake = d elseif l then next_wake = l end
  end
end

if need_wake then wake() end
announce(done)
redis.call('ZREMRANGEBYSCORE', P .. 'results', '-inf', now)
return {now, deadline, codes, out, tostring(next_wake)}
`;
