/**
 * Lua shared by every queue script, prepended to each. KEYS[1] is the queue's base key
 * (`{platoon:q}:`); all other keys are derived from it, so they share its hash slot.
 *
 * A job is one immutable field of the hash `jobs` (id → a JSON header, a newline, the
 * payload bytes): one field per job costs less memory and work than one key per job.
 * The header starts with its result ttl ("l") and idempotency key ("k") when it has them,
 * so Lua reads those with a prefix match. A leased job belongs to the lease batch of the
 * reserve call that handed it out (see LEASES below). What else changes while a
 * job moves lives in per-queue hashes keyed by job id (att, ready, err), so the hot paths
 * touch many jobs with one MGET/SADD/SMISMEMBER each instead of several commands per job.
 * See the README for the full layout.
 */
export const COMMON_LUA = `
local P = KEYS[1]
local ATT, READY, ERR = P .. 'att', P .. 'ready', P .. 'err'
local JOBS = P .. 'jobs'

-- LEASES. The jobs one reserve call hands out are one lease batch: the call's nonce (16
-- chars) is a member of the active sorted set, scored by the batch's lease deadline, and
-- the set L:<nonce> holds the ids of its jobs not yet settled. The two exist together: a
-- settle removes its jobs from the set and the nonce once the set is empty (Redis drops
-- an empty set); an expired batch goes back whole. A worker's lease token is the nonce, a
-- flag, then the job id: a settle checks a batch of them with one SMISMEMBER, an extend
-- moves the batch's deadline. The flag, set by reserve from the job's header, tells the
-- settle what it needs: '.' result kept for the default ttl, no idempotency key; '~' no
-- result kept, no idempotency key; '!' read the header. att holds a job's deliveries so
-- far when it has been delivered before (absent: 0, or 1 while leased).
local function release_lease_if_empty(nonce)
  if redis.call('EXISTS', P .. 'L:' .. nonce) == 0 then redis.call('ZREM', P .. 'active', nonce) end
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Runs cmd(key, items...) in slices, under Lua's unpack limit.
local function batch(cmd, key, items)
  local i = 1
  while i <= #items do
    local j = math.min(i + 3999, #items)
    redis.call(cmd, key, unpack(items, i, j))
    i = j + 1
  end
end

-- One member only: BZPOPMIN wakes a single blocked reserver per enqueue; reserve chains
-- the wake-up to the next one while work is left.
local function wake()
  redis.call('ZADD', P .. 'marker', 0, '0')
end

local function header(body)
  local nl = string.find(body, '\\n', 1, true)
  return cjson.decode(string.sub(body, 1, nl - 1))
end

local function job_header(id)
  local body = redis.call('HGET', JOBS, id)
  if not body then return nil end
  return header(body)
end

local function push_waiting(id, pri, front)
  local lk = P .. 'w:' .. pri
  if front then redis.call('LPUSH', lk, id) else redis.call('RPUSH', lk, id) end
  redis.call('ZADD', P .. 'pri', -tonumber(pri), pri)
end

-- '<resultTtlMs>|<idempotencyKey>' from a job body, '' when it has neither (most jobs):
-- a prefix match, and a JSON decode only for idempotent jobs.
local function meta_from_body(body)
  -- Most jobs set neither: their header starts with {"t", and one byte tells.
  local c = string.byte(body, 3)
  if c ~= 108 and c ~= 107 then return '' end
  local ttl = string.match(body, '^{"l":(%d+)')
  local has_k = string.find(body, '^{"k":') or (ttl and string.find(body, '^{"l":%d+,"k":'))
  if not ttl and not has_k then return '' end
  local ik = ''
  if has_k then ik = header(body).k end
  return (ttl or '') .. '|' .. ik
end

local function meta_of(m, default_ttl)
  if not m or m == '' then return default_ttl, nil end
  local ttl, ik = string.match(m, '^([^|]*)|(.*)$')
  if ik == '' then ik = nil end
  return tonumber(ttl) or default_ttl, ik
end

-- The attempt of a leased job.
local function leased_attempt(id)
  return tonumber(redis.call('HGET', ATT, id) or '1')
end

-- True when the job holds a lease: it is in the set of a live lease batch (a few per
-- worker), for getJob only.
local function is_leased(id)
  for _, nonce in ipairs(redis.call('ZRANGE', P .. 'active', 0, -1)) do
    if redis.call('SISMEMBER', P .. 'L:' .. nonce, id) == 1 then return true end
  end
  return false
end

local function job_meta(id)
  local body = redis.call('HGET', JOBS, id)
  if not body then return '' end
  return meta_from_body(body)
end

-- A final result, kept ttl ms: '<status><settledAt>|<value>'. Status c completed
-- (value = result bytes), f failed (value = error JSON), x cancelled.
local function store_result(id, status, v, ttl, now, index)
  if ttl <= 0 then return false end
  redis.call('SET', P .. 'r:' .. id, status .. now .. '|' .. v, 'PX', ttl)
  index[#index + 1] = now + ttl
  index[#index + 1] = id
  return true
end

local function flush_results(index)
  if #index > 0 then batch('ZADD', P .. 'results', index) end
end

-- An idempotency key lives as long as its job or its result: once the job is gone it
-- takes the result's time to live, or goes at once.
local function release_idem(id, ik, ttl)
  if not ik then return end
  local key = P .. 'i:' .. ik
  if redis.call('GET', key) ~= id then return end
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('DEL', key) end
end

-- Forgets a job entirely (its result, if any, is kept elsewhere).
local function forget(ids)
  batch('HDEL', JOBS, ids)
  -- Most of these hashes are empty on a busy queue; skipping them saves turning every id
  -- into a Redis argument again.
  for _, h in ipairs({ATT, READY, ERR}) do
    if redis.call('EXISTS', h) == 1 then batch('HDEL', h, ids) end
  end
end

-- Dead letter: the job stays, its error goes to err, its id into the dead set (scored by
-- when it failed); the failed result is kept like any other.
local function bury(id, err, now, default_ttl, index, attempt)
  redis.call('HSET', ATT, id, attempt)
  redis.call('HSET', ERR, id, err)
  redis.call('ZADD', P .. 'dead', now, id)
  local ttl = meta_of(job_meta(id), default_ttl)
  store_result(id, 'f', err, ttl, now, index)
end

-- always: publish even with no subscriber on this node (a Cluster's subscribers may sit
-- on other nodes); otherwise skip the encoding when nobody listens.
local function announce(done, always)
  if #done == 0 then return end
  local channel = P .. 'done'
  if not always and redis.call('PUBSUB', 'NUMSUB', channel)[2] == 0 then return end
  redis.call('PUBLISH', channel, cjson.encode(done))
end

-- Enqueues the n jobs in J (a table unpacked from the client's packed argument), 5 fields
-- per job: id, body, priority, runAt ('' = now), idempotency key ('' = none). Appends id,
-- code to out: 0 new, 1 idempotent duplicate (id = the first job's), 2 the id is already
-- taken. Returns true when every job was new (out then says nothing the caller lacks).
local function enqueue_jobs(J, n, now, out)
  local by_pri, pris, delayed = {}, {}, {}
  local woke = false
  local all_new = true
  -- Without idempotency keys or an id twice in the batch, one HSET stores a slice of
  -- bodies once one HMGET has found none of its ids taken; a slice where some id is taken
  -- falls back to one HSETNX per job.
  local stored = {}
  local fast, seen = true, {}
  for i = 0, n - 1 do
    local id = J[i * 5 + 1]
    if J[i * 5 + 5] ~= '' or seen[id] then fast = false; break end
    seen[id] = true
  end
  if fast then
    for s = 0, n - 1, 1000 do
      local e = math.min(s + 999, n - 1)
      local ids, kv = {}, {}
      for i = s, e do
        ids[i - s + 1] = J[i * 5 + 1]
        kv[2 * (i - s) + 1] = J[i * 5 + 1]
        kv[2 * (i - s) + 2] = J[i * 5 + 2]
      end
      local taken = false
      for _, v in ipairs(redis.call('HMGET', JOBS, unpack(ids))) do
        if v then taken = true; break end
      end
      if not taken then
        redis.call('HSET', JOBS, unpack(kv))
        for i = s, e do stored[i] = true end
      end
    end
  end
  for i = 0, n - 1 do
    local b = i * 5 + 1
    local id, ik = J[b], J[b + 4]
    local dup = nil
    if ik ~= '' then
      local ikey = P .. 'i:' .. ik
      local existing = redis.call('GET', ikey)
      if existing and (redis.call('HEXISTS', JOBS, existing) == 1
          or redis.call('EXISTS', P .. 'r:' .. existing) == 1) then
        dup = existing
      else
        redis.call('SET', ikey, id)
      end
    end
    if dup then
      out[#out + 1] = dup
      out[#out + 1] = 1
      all_new = false
    elseif not stored[i] and redis.call('HSETNX', JOBS, id, J[b + 1]) == 0 then
      out[#out + 1] = id
      out[#out + 1] = 2
      all_new = false
    else
      local at = tonumber(J[b + 3])
      if at and at > now then
        delayed[#delayed + 1] = at
        delayed[#delayed + 1] = id
      else
        local pri = J[b + 2]
        local list = by_pri[pri]
        if not list then list = {}; by_pri[pri] = list; pris[#pris + 1] = pri end
        list[#list + 1] = id
      end
      out[#out + 1] = id
      out[#out + 1] = 0
      woke = true
    end
  end
  if #delayed > 0 then batch('ZADD', P .. 'delayed', delayed) end
  for _, pri in ipairs(pris) do
    batch('RPUSH', P .. 'w:' .. pri, by_pri[pri])
    redis.call('ZADD', P .. 'pri', -tonumber(pri), pri)
  end
  if woke then wake() end
  return all_new
end
`;
