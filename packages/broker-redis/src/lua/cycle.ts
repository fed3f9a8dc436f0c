import { COMMON_LUA } from "./common.ts";

/**
 * Settle, then reserve, in one script: the busy worker's single round trip. `settle` is
 * this script with max = 0 and `reserve` is it with no settlements. Completions and
 * deliveries are handled a batch at a time (one SMISMEMBER/SREM/DEL per lease batch, one
 * LPOP/HMGET/SADD per reserve), and both travel packed (cmsgpack), so a batch is one
 * argument and one bulk reply.
 *
 * ARGV: max, leaseMs, nonce of this call's lease batch (16 chars), maxDeliveries, default
 *       result ttl, announce always ('1') or only to listeners ('0'), packed completions
 *       ('' = none: count k, 1 when k results follow, k flag characters as one string,
 *       group count g, then g (nonce, count) pairs ('' nonce: tokens that cannot be a
 *       lease), then the k job ids in group order, then the k results), count of other
 *       settlements, then 5 per other settlement: kind (r|d|q), id, lease token (or ''),
 *       error JSON, runAt ('' = absent).
 * Returns {now, deadline, settle codes (completions first, in group order; 1 ok, 0 stale
 *          lease, -1 unknown job; or just their count when all are 1), packed deliveries
 *          (the lease flags as one string, then job id and body for each; '' when none),
 *          extras (index, attempt, readyAt or '' for each delivery whose attempt is not 1
 *          or whose readyAt is not its createdAt), next wake-up time ('' = none)}. The
 *          client builds each lease token from the nonce, the flag and the id (see
 *          LEASES in common.ts).
 */
export const CYCLE_LUA = `${COMMON_LUA}
local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local nonce = ARGV[3]
local max_deliveries = tonumber(ARGV[4])
local default_ttl = tonumber(ARGV[5])
local always_announce = ARGV[6] == '1'
local no = tonumber(ARGV[8])
local now = now_ms()
local done, codes, index = {}, {}, {}
local all_ok = true
local need_wake = false
local active = P .. 'active'
local nc = 0

-- Only jobs someone waits for are announced; most busy queues have no listener at all.
local listening = always_announce or redis.call('PUBSUB', 'NUMSUB', P .. 'done')[2] > 0

if ARGV[7] ~= '' then
  local C = cmsgpack.unpack(ARGV[7])
  local k, with_results, flags, g = C[1], C[2] == 1, C[3], C[4]
  local first_id = 5 + 2 * g
  local pos = 0
  for gi = 1, g do
    local nonce, cnt = C[3 + 2 * gi], C[4 + 2 * gi]
    local L = P .. 'L:' .. nonce
    local cids = {}
    -- A batch's set exists exactly while its lease does (see LEASES in common.ts).
    local alive = nonce ~= '' and redis.call('EXISTS', L) == 1
    local s = first_id + pos
    local last = s + cnt - 1
    while s <= last do
      local e = math.min(s + 999, last)
      local member = {}
      if alive then member = redis.call('SMISMEMBER', L, unpack(C, s, e)) end
      for i = s, e do
        local id = C[i]
        local j = i - first_id + 1
        nc = nc + 1
        if member[i - s + 1] == 1 then
          codes[nc] = 1
          cids[#cids + 1] = id
          local f = string.byte(flags, j)
          local ttl, ik = default_ttl, nil
          if f == 126 then ttl = 0 elseif f == 33 then ttl, ik = meta_of(job_meta(id), default_ttl) end
          if ttl > 0 then
            local v = with_results and C[first_id + k + j - 1] or ''
            local kept = store_result(id, 'c', v, ttl, now, index)
            if ik then release_idem(id, ik, kept and ttl or 0) end
          elseif ik then
            release_idem(id, ik, 0)
          end
          if listening then done[#done + 1] = id end
        else
          all_ok = false
          if redis.call('HEXISTS', JOBS, id) == 1 then codes[nc] = 0 else codes[nc] = -1 end
        end
      end
      s = e + 1
    end
    pos = pos + cnt
    if #cids > 0 then
      batch('SREM', L, cids)
      release_lease_if_empty(nonce)
      forget(cids)
    end
  end
end

local base_o = 9
for i = 1, no do
  local b = base_o + (i - 1) * 5
  local kind, id, tok = ARGV[b], ARGV[b + 1], ARGV[b + 2]
  local nonce = string.sub(tok, 1, 16)
  if tok ~= '' and redis.call('SREM', P .. 'L:' .. nonce, id) == 1 then
    codes[nc + i] = 1
    local a = leased_attempt(id)
    release_lease_if_empty(nonce)
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
  else
    all_ok = false
    if redis.call('HEXISTS', JOBS, id) == 1 then codes[nc + i] = 0 else codes[nc + i] = -1 end
  end
end

local out, extras = {}, {}
local next_wake = ''
local deadline = now + lease
if max > 0 then
  -- Leases that ran out: any reserving worker recovers them, no daemon needed. A lease
  -- batch goes back whole (at most 10 batches a call, to bound the call's work).
  local expired_ids = {}
  for _, nonce in ipairs(redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, 10)) do
    local L = P .. 'L:' .. nonce
    for _, id in ipairs(redis.call('SMEMBERS', L)) do expired_ids[#expired_ids + 1] = id end
    redis.call('DEL', L)
    redis.call('ZREM', active, nonce)
  end
  for _, id in ipairs(expired_ids) do
    local h = job_header(id)
    if h then
      local a = leased_attempt(id)
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
  local L = P .. 'L:' .. nonce
  local lease_flags = {}
  local byte = string.byte
  while got < max do
    local lv = redis.call('ZRANGE', pri, 0, 0)[1]
    if not lv then break end
    local lk = P .. 'w:' .. lv
    -- At most 1000 per pass: the HMGETs below unpack the ids, and Lua's stack is finite.
    local ids = redis.call('LPOP', lk, math.min(max - got, 1000))
    if (not ids) or redis.call('EXISTS', lk) == 0 then redis.call('ZREM', pri, lv) end
    if ids then
      local bodies = redis.call('HMGET', JOBS, unpack(ids))
      -- Fresh jobs have no att entry; skip the read when no job in the queue has one.
      local atts = {}
      if redis.call('EXISTS', ATT) == 1 then atts = redis.call('HMGET', ATT, unpack(ids)) end
      local readies = {}
      if redis.call('EXISTS', READY) == 1 then readies = redis.call('HMGET', READY, unpack(ids)) end
      local att_set, leased = {}, {}
      local n = 0
      for k, id in ipairs(ids) do
        local body = bodies[k]
        if body then
          local prev = atts[k]
          -- The lease flag from the header's first bytes: {"t (neither ttl nor idempotency
          -- key), {"l":0, and no k next (keeps no result), or anything else.
          local c = byte(body, 3)
          local p
          if c == 116 then p = '.'
          elseif c == 108 and byte(body, 6) == 48 and byte(body, 7) == 44 and byte(body, 9) ~= 107 then p = '~'
          else p = '!' end
          n = n + 1
          leased[n] = id
          got = got + 1
          lease_flags[got] = p
          out[2 * got] = id
          out[2 * got + 1] = body
          if prev then
            local a = tonumber(prev) + 1
            att_set[#att_set + 1] = id
            att_set[#att_set + 1] = a
          end
          if prev or readies[k] then
            local e = #extras
            extras[e + 1] = got
            extras[e + 2] = prev and (tonumber(prev) + 1) or 1
            extras[e + 3] = readies[k] or ''
          end
        end
      end
      if n > 0 then
        if #att_set > 0 then batch('HSET', ATT, att_set) end
        batch('SADD', L, leased)
        if #readies > 0 then batch('HDEL', READY, leased) end
      end
    end
  end
  if got > 0 then
    redis.call('ZADD', active, deadline, nonce)
    out[1] = table.concat(lease_flags)
    if redis.call('EXISTS', pri) == 1 then need_wake = true end
  end
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
local packed = ''
if #out > 0 then packed = cmsgpack.pack(out) end
return {now, deadline, all_ok and (nc + no) or codes, packed, extras, tostring(next_wake)}
`;
