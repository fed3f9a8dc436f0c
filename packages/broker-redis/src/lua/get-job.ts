import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: id. Returns {'j', t, s, a, m, p, r, c, o} for a held job, {'r', status, at, t, a}
 * for a settled one whose result is kept, or {} when neither exists.
 */
export const GET_JOB_LUA = `${COMMON_LUA}
local id = ARGV[1]
local f = redis.call('HMGET', P .. 'j:' .. id, 't', 's', 'a', 'm', 'p', 'r', 'c', 'o')
if f[1] then
  return {'j', f[1], f[2] or 'w', f[3] or '0', f[4] or '', f[5] or '0', f[6] or f[7], f[7], f[8] or ''}
end
local r = redis.call('HMGET', P .. 'r:' .. id, 's', 'at', 't', 'a')
if r[1] then return {'r', r[1], r[2], r[3] or '', r[4] or '0'} end
return {}
`;
