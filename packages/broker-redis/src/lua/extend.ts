import { COMMON_LUA } from "./common.ts";

/** ARGV: leaseMs, then id, token pairs. Returns {deadline, {1|0 per lease}}. */
export const EXTEND_LUA = `${COMMON_LUA}
local deadline = now_ms() + tonumber(ARGV[1])
local codes = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HGET', P .. 'j:' .. id, 'tk') == ARGV[i + 1] then
    redis.call('ZADD', P .. 'active', 'XX', deadline, id)
    codes[#codes + 1] = 1
  else
    codes[#codes + 1] = 0
  end
end
return {deadline, codes}
`;
