import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: leaseMs, then one lease token per lease ('' for one that cannot be a lease).
 * Returns {deadline, {1|0 per lease}}. A lease holds while its job is in its batch's set;
 * extending it moves the whole batch's deadline (the batch's other jobs belong to the
 * same worker).
 */
export const EXTEND_LUA = `${COMMON_LUA}
local deadline = now_ms() + tonumber(ARGV[1])
local active = P .. 'active'
local codes = {}
-- Leases grouped by batch: one SMISMEMBER and one ZADD per batch.
local groups, order = {}, {}
for i = 2, #ARGV do
  local tok = ARGV[i]
  codes[i - 1] = 0
  if tok ~= '' then
    local nonce = string.sub(tok, 1, 16)
    local grp = groups[nonce]
    if not grp then
      grp = { ids = {}, at = {} }
      groups[nonce] = grp
      order[#order + 1] = nonce
    end
    grp.ids[#grp.ids + 1] = string.sub(tok, 18)
    grp.at[#grp.at + 1] = i - 1
  end
end
for _, nonce in ipairs(order) do
  local grp = groups[nonce]
  local held = false
  local s = 1
  while s <= #grp.ids do
    local e = math.min(s + 999, #grp.ids)
    local member = redis.call('SMISMEMBER', P .. 'L:' .. nonce, unpack(grp.ids, s, e))
    for j = s, e do
      if member[j - s + 1] == 1 then
        codes[grp.at[j]] = 1
        held = true
      end
    end
    s = e + 1
  end
  if held then redis.call('ZADD', active, 'XX', deadline, nonce) end
end
return {deadline, codes}
`;
