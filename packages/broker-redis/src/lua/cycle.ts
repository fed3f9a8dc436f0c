import { COMMON_LUA } from "./common.ts";

/**
 * Settle, then reserve, in one script: the busy worker's single round trip. `settle` is
 * this script with max = 0 and `reserve` is it with no settlements. Completions and
 * deliveries are handled a batch at a time (one HMGET/HSET/ZADD/DEL for all of them).
 *
 * ARGV: max, leaseMs, token nonce (fixed length, no '|'), consumer, maxDeliveries,
 *       default result ttl, completion count, other settlement count, announce always
 *       ('1') or only to listeners ('0'), then 3 per completion (id, token, result bytes),
 *       then 5 per other settlement: kind (r|d|q), id, token, error JSON, runAt ('' = absent).
 * Returns {now, deadline, settle codes (completions first; 1 ok, 0 stale lease, -1 unknown
 *          job), deliveries (id, body each), extras (index, attempt, readyAt or '' for
 *          each delivery whose attempt is not 1 or whose readyAt is not its createdAt),
 *          next wake-up time ('' = none)}. The lease token of every delivery is the nonce:
 *          a token is checked against its own job, so the batch can share it.
 */
export const CYCLE_LUA = `${COMMON_LUA}
local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local nonce = ARGV[3]
local consumer = ARGV[4]
local max_deliveries = tonumber(ARGV[5])
local default_ttl = tonumber(ARGV[6])
local nc = tonumber(ARGV[7])
local no = tonumber(ARGV[8])
local always_announce = ARGV[9] == '1'
local now = now_ms()
local done, codes, index = {}, {}, {}
local need_wake = false
local active = P .. 'active'

if nc > 0 then
  local ids = {}
  for i = 1, nc do ids[i] = ARGV[10 + (i - 1) * 3] end
  local toks = redis.call('HMGET', TOK, unpack(ids))
  local cids = {}
  for i = 1, nc do
    local b = 10 + (i - 1) * 3
    local id = ids[i]
    local ok, _, meta = token_matches(toks[i], ARGV[b + 1])
    if ok then
      codes[i] = 1
      cids[#cids + 1] = id
      local ttl, ik = meta_of(meta, default_ttl)
      local kept = store_result(id, 'c', ARGV[b + 2], ttl, now, index)
      if ik then release_idem(id, ik, kept and ttl or 0) end
      done[#done + 1] = id
    elseif redis.call('EXISTS', P .. 'j:' .. id) == 1 then
      codes[i] = 0
    else
      codes[i] = -1
    end
  end
  if #cids > 0 then
    batch('ZREM', active, cids)
    forget(cids)
  end
end

local base_o = 10 + nc * 3
for i = 1, no do
  local b = base_o + (i - 1) * 5
  local kind, id = ARGV[b], ARGV[b + 1]
  local ok, a = token_matches(redis.call('HGET', TOK, id), ARGV[b + 2])
  if ok then
    codes[nc + i] = 1
    redis.call('ZREM', active, id)
    redis.call('HDEL', TOK, id)
    redis.call('HDEL', CON, id)
    if kind == 'd' then
      bury(id, ARGV[b + 3], now, default_ttl, index, a)
      done[#done + 1] = id
    else
      local at = tonumber(ARGV[b + 4]) or now
      if kind == 'r' then
        redis.call('HSET', ERR, id, ARGV[b + 3])
        redis.call('HSET', ATT, id, a)
      else
        -- requeue: handed back unrun, so this delivery does not count
        redis.call('HSET', ATT, id, math.max(0, a - 1))
      end
      if at > now then
        redis.call('ZADD', P .. 'delayed', at, id)
      else
        local h = job_header(id)
        if h then
          redis.call('HSET', READY, id, now)
          push_waiting(id, h.p or '0', kind == 'q')
        end
      end
      need_wake = true
    end
  elseif redis.call('EXISTS', P .. 'j:' .. id) == 1 then
    codes[nc + i] = 0
  else
    codes[nc + i] = -1
  end
end

local out, extras = {}, {}
local next_wake = ''
local deadline = now + lease
-- Formatted once: Lua would turn the number into a string again for every job.
local deadline_s = string.format('%d', deadline)
if max > 0 then
  -- Leases that ran out: any reserving worker recovers them, no daemon needed.
  local expired = redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(expired) do
    redis.call('ZREM', active, id)
    local h = job_header(id)
    if h then
      local a = lease_attempt(id)
      redis.call('HDEL', TOK, id)
      redis.call('HDEL', CON, id)
      -- One lost lease is forgiven beyond maxAttempts (a worker killed by a deploy is not
      -- the job's fault); without maxAttempts the broker-wide cap applies.
      if a >= (h.m and (h.m + 1) or max_deliveries) then
        local err = cjson.encode({
          name = 'LeaseExpired',
          fault = 'LeaseExpired',
          retryable = false,
          message = 'job ' .. id .. ' (' .. h.t .. ') was delivered ' .. a ..
            ' times and its lease expired each time: the worker running it died or hung'
        })
        bury(id, err, now, default_ttl, index, a)
        done[#done + 1] = id
      else
        redis.call('HSET', ATT, id, a)
        redis.call('HSET', READY, id, now)
        push_waiting(id, h.p or '0', true)
      end
    end
  end

  local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'WITHSCORES', 'LIMIT', 0, math.max(1000, max))
  if #due > 0 then
    local ready = {}
    for k = 1, #due, 2 do
      local id = due[k]
      local h = job_header(id)
      if h then
        push_waiting(id, h.p or '0', false)
        ready[#ready + 1] = id
        ready[#ready + 1] = due[k + 1]
      end
      redis.call('ZREM', P .. 'delayed', id)
    end
    if #ready > 0 then batch('HSET', READY, ready) end
  end

  local got = 0
  local pri = P .. 'pri'
  local JP = P .. 'j:'
  while got < max do
    local lv = redis.call('ZRANGE', pri, 0, 0)[1]
    if not lv then break end
    local lk = P .. 'w:' .. lv
    -- At most 1000 per pass: MGET/HMGET below unpack the ids, and Lua's stack is finite.
    local ids = redis.call('LPOP', lk, math.min(max - got, 1000))
    if (not ids) or redis.call('EXISTS', lk) == 0 then redis.call('ZREM', pri, lv) end
    if ids then
      local keys = {}
      for k, id in ipairs(ids) do keys[k] = JP .. id end
      local bodies = redis.call('MGET', unpack(keys))
      -- Fresh jobs have no att entry; skip the read when no job in the queue has one.
      local atts = {}
      local had_att = redis.call('EXISTS', ATT) == 1
      if had_att then atts = redis.call('HMGET', ATT, unpack(ids)) end
      local readies = {}
      if redis.call('EXISTS', READY) == 1 then readies = redis.call('HMGET', READY, unpack(ids)) end
      local tok_set, con_set, lease_set, leased = {}, {}, {}, {}
      for k, id in ipairs(ids) do
        local body = bodies[k]
        if body then
          local prev = atts[k]
          local a = prev and (tonumber(prev) + 1) or 1
          tok_set[#tok_set + 1] = id
          tok_set[#tok_set + 1] = nonce .. (prev and ('|' .. a .. '|') or '|1|') .. meta_from_body(body)
          lease_set[#lease_set + 1] = deadline_s
          lease_set[#lease_set + 1] = id
          leased[#leased + 1] = id
          if consumer ~= '' then
            con_set[#con_set + 1] = id
            con_set[#con_set + 1] = consumer
          end
          local n = #out
          out[n + 1] = id
          out[n + 2] = body
          got = got + 1
          if prev or readies[k] then
            local e = #extras
            extras[e + 1] = got
            extras[e + 2] = a
            extras[e + 3] = readies[k] or ''
          end
        end
      end
      if #leased > 0 then
        if had_att then batch('HDEL', ATT, leased) end
        batch('HSET', TOK, tok_set)
        batch('ZADD', active, lease_set)
        if #con_set > 0 then batch('HSET', CON, con_set) end
        if #readies > 0 then batch('HDEL', READY, leased) end
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
flush_results(index)
announce(done, always_announce)
redis.call('ZREMRANGEBYSCORE', P .. 'results', '-inf', now)
return {now, deadline, codes, out, extras, tostring(next_wake)}
`;
