import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: leaseMs, then one lease token per lease ('' for one that cannot be a lease).
 * Returns {deadline, {1|0 per lease}}.
 */
export const EXTEND_LUA = `${COMMON_LUA}
local deadline = now_ms() + tonumber(ARGV[1])
local active = P .. 'active'
local members = {}
for i = 2, #ARGV do members[i - 1] = ARGV[i] ~= '' and ARGV[i] or '-' end
local codes, set = {}, {}
if #members > 0 then
  local scores = redis.call('ZMSCORE', active, unpack(members))
  for k, m in ipairs(members) do
    if scores[k] then
      codes[k] = 1
      set[#set + 1] = deadline
      set[#set + 1] = m
    else
      codes[k] = 0
    end
  end
end
local i = 1
while i <= #set do
  local j = math.min(i + 3999, #set)
  redis.call('ZADD', active, 'XX', unpack(set, i, j))
  i = j + 1
end
return {deadline, codes}
`;
