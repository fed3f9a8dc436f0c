/**
 * Lua shared by every queue script, prepended to each. KEYS[1] is the queue's base key
 * (`{platoon:q}:`); all other keys are derived from it, so they share its hash slot.
 *
 * Job hash fields (short names keep each waiting job small; see the README):
 *   t task, d payload, c createdAt, p priority (absent = 0), a deliveries so far (absent = 0),
 *   r readyAt (absent = c), m maxAttempts, l resultTtlMs, k idempotency key,
 *   o JSON {b: backoff, x: timeoutMs, tr: traceId}, s state (w|d|a|x),
 *   tk lease token and n consumer (while active), e last error JSON, f failedAt (dead).
 */
export const COMMON_LUA = `
local P = KEYS[1]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- One member only: BZPOPMIN wakes a single blocked reserver per enqueue; reserve chains
-- the wake-up to the next one while work is left.
local function wake()
  redis.call('ZADD', P .. 'marker', 0, '0')
end

local function push_waiting(id, pri, front)
  local lk = P .. 'w:' .. pri
  if front then redis.call('LPUSH', lk, id) else redis.call('RPUSH', lk, id) end
  redis.call('ZADD', P .. 'pri', -tonumber(pri), pri)
end

local function push_many(cmd, key, ids)
  local i = 1
  while i <= #ids do
    local j = math.min(i + 4999, #ids)
    redis.call(cmd, key, unpack(ids, i, j))
    i = j + 1
  end
end

-- Keeps a final result for ttl ms. Status: c completed (v = value), f failed (v = error
-- JSON), x cancelled. Returns whether anything was kept.
local function store_result(id, status, v, ttl, now, task, attempt)
  if ttl <= 0 then return false end
  local rk = P .. 'r:' .. id
  redis.call('DEL', rk)
  redis.call('HSET', rk, 's', status, 'v', v, 'at', now, 't', task or '', 'a', attempt or 0)
  redis.call('PEXPIRE', rk, ttl)
  redis.call('ZADD', P .. 'results', now + ttl, id)
  return true
end

-- An idempotency key lives as long as its job or its result: once the job hash is gone it
-- takes the result's time to live, or goes at once.
local function release_idem(id, ik, ttl)
  if not ik then return end
  local key = P .. 'i:' .. ik
  if redis.call('GET', key) ~= id then return end
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('DEL', key) end
end

local function job_ttl(l, default_ttl)
  if l then return tonumber(l) end
  return default_ttl
end

-- Dead letter: the job hash stays (state x) and its id goes into the dead set; the failed
-- result is kept like any other result.
local function bury(id, jk, err, now, ttl, task, attempt)
  redis.call('HSET', jk, 's', 'x', 'e', err, 'f', now)
  redis.call('HDEL', jk, 'tk', 'n')
  redis.call('ZADD', P .. 'dead', now, id)
  store_result(id, 'f', err, ttl, now, task, attempt)
end

local function announce(done)
  if #done > 0 then redis.call('PUBLISH', P .. 'done', cjson.encode(done)) end
end

-- Enqueues n jobs whose fields start at ARGV[base], 10 per job: id, task, payload,
-- priority, runAt, maxAttempts, resultTtlMs, idempotencyKey, opts JSON, createdAt ('' =
-- absent). Appends id, code to out: 0 new, 1 idempotent duplicate (id = the first job's),
-- 2 the id is already taken.
local function enqueue_jobs(base, n, now, out)
  local by_pri = {}
  local pris = {}
  local woke = false
  for i = 0, n - 1 do
    local b = base + i * 10
    local id = ARGV[b]
    local ik = ARGV[b + 7]
    local dup = nil
    if ik ~= '' then
      local ikey = P .. 'i:' .. ik
      local existing = redis.call('GET', ikey)
      if existing and (redis.call('EXISTS', P .. 'j:' .. existing) == 1
          or redis.call('EXISTS', P .. 'r:' .. existing) == 1) then
        dup = existing
      else
        redis.call('SET', ikey, id)
      end
    end
    if dup then
      out[#out + 1] = dup
      out[#out + 1] = 1
    elseif redis.call('EXISTS', P .. 'j:' .. id) == 1 then
      out[#out + 1] = id
      out[#out + 1] = 2
    else
      local pri = ARGV[b + 3]
      local created = ARGV[b + 9]
      if created == '' then created = now end
      local f = {'t', ARGV[b + 1], 'd', ARGV[b + 2], 'c', created}
      if pri ~= '0' then f[#f + 1] = 'p'; f[#f + 1] = pri end
      if ARGV[b + 5] ~= '' then f[#f + 1] = 'm'; f[#f + 1] = ARGV[b + 5] end
      if ARGV[b + 6] ~= '' then f[#f + 1] = 'l'; f[#f + 1] = ARGV[b + 6] end
      if ik ~= '' then f[#f + 1] = 'k'; f[#f + 1] = ik end
      if ARGV[b + 8] ~= '' then f[#f + 1] = 'o'; f[#f + 1] = ARGV[b + 8] end
      local at = tonumber(ARGV[b + 4])
      if at and at > now then
        f[#f + 1] = 's'; f[#f + 1] = 'd'
        f[#f + 1] = 'r'; f[#f + 1] = at
        redis.call('ZADD', P .. 'delayed', at, id)
      else
        f[#f + 1] = 's'; f[#f + 1] = 'w'
        if tostring(created) ~= tostring(now) then f[#f + 1] = 'r'; f[#f + 1] = now end
        local list = by_pri[pri]
        if not list then list = {}; by_pri[pri] = list; pris[#pris + 1] = pri end
        list[#list + 1] = id
      end
      redis.call('HSET', P .. 'j:' .. id, unpack(f))
      out[#out + 1] = id
      out[#out + 1] = 0
      woke = true
    end
  end
  for _, pri in ipairs(pris) do
    push_many('RPUSH', P .. 'w:' .. pri, by_pri[pri])
    redis.call('ZADD', P .. 'pri', -tonumber(pri), pri)
  end
  if woke then wake() end
end
`;
