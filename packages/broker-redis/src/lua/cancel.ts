import { COMMON_LUA } from "./common.ts";

/** ARGV: id, default result ttl. Cancels a waiting or delayed job; returns 1 or 0. */
export const CANCEL_LUA = `${COMMON_LUA}
local id = ARGV[1]
local h = job_header(id)
if not h then return 0 end
if redis.call('ZSCORE', P .. 'dead', id) then return 0 end
-- A running job is neither delayed nor waiting: the removals below find nothing.
if redis.call('ZREM', P .. 'delayed', id) == 0 then
  local pri = h.p or '0'
  local lk = P .. 'w:' .. pri
  if redis.call('LREM', lk, 1, id) == 0 then return 0 end
  if redis.call('EXISTS', lk) == 0 then redis.call('ZREM', P .. 'pri', pri) end
end
local now = now_ms()
local ttl, ik = meta_of(job_meta(id), tonumber(ARGV[2]))
local index = {}
local kept = store_result(id, 'x', '', ttl, now, index)
flush_results(index)
forget({id})
release_idem(id, ik, kept and ttl or 0)
announce({id}, true)
return 1
`;
