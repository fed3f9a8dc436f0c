import { COMMON_LUA } from "./common.ts";

/** ARGV: id, default result ttl. Cancels a waiting or delayed job; returns 1 or 0. */
export const CANCEL_LUA = `${COMMON_LUA}
local id = ARGV[1]
local jk = P .. 'j:' .. id
local f = redis.call('HMGET', jk, 's', 'p', 'l', 'k', 't', 'a')
if not f[5] then return 0 end
if f[1] == 'w' then
  local pri = f[2] or '0'
  local lk = P .. 'w:' .. pri
  redis.call('LREM', lk, 1, id)
  if redis.call('EXISTS', lk) == 0 then redis.call('ZREM', P .. 'pri', pri) end
elseif f[1] == 'd' then
  redis.call('ZREM', P .. 'delayed', id)
else
  return 0
end
local now = now_ms()
local ttl = job_ttl(f[3], tonumber(ARGV[2]))
redis.call('DEL', jk)
local kept = store_result(id, 'x', '', ttl, now, f[5], f[6])
release_idem(id, f[4], kept and ttl or 0)
announce({id})
return 1
`;
