import { COMMON_LUA } from "./common.ts";

/** ARGV: leaseMs, then id, token pairs. Returns {deadline, {1|0 per lease}}. */
export const EXTEND_LUA = `${COMMON_LUA}
local deadline = now_ms() + tonumber(ARGV[1])
local ids, keys = {}, {}
for i = 2, #ARGV, 2 do
  ids[#ids + 1] = ARGV[i]
  keys[#keys + 1] = LP .. ARGV[i]
end
local toks = redis.call('MGET', unpack(keys))
local codes, set = {}, {}
for k, id in ipairs(ids) do
  if token_matches(toks[k], ARGV[2 * k + 1]) then
    codes[k] = 1
    set[#set + 1] = deadline
    set[#set + 1] = id
  else
    codes[k] = 0
  end
end
if #set > 0 then
  local i = 1
  while i <= #set do
    local j = math.min(i + 3999, #set)
    redis.call('ZADD', P .. 'active', 'XX', unpack(set, i, j))
    i = j + 1
  end
end
return {deadline, codes}
`;
