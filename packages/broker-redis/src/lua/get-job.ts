import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: id. Returns {'j', body, state (w|d|a|x), attempt, runAt or ''} for a held job,
 * {'r', result} for a settled one whose result is kept, or {} when neither exists.
 */
export const GET_JOB_LUA = `${COMMON_LUA}
local id = ARGV[1]
local body = redis.call('HGET', JOBS, id)
if body then
  local state, run_at = 'w', redis.call('HGET', READY, id) or ''
  local attempt = tonumber(redis.call('HGET', ATT, id) or '0')
  if redis.call('ZSCORE', P .. 'dead', id) then
    state = 'x'
  else
    local at = redis.call('ZSCORE', P .. 'delayed', id)
    if at then
      state = 'd'
      run_at = at
    elseif is_leased(id) then
      state = 'a'
      attempt = math.max(attempt, 1)
    end
  end
  return {'j', body, state, attempt, run_at}
end
local r = redis.call('GET', P .. 'r:' .. id)
if r then return {'r', r} end
return {}
`;
