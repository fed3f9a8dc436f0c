import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: schedule id, expected runAt, next runAt ('' = ended), job count, then the jobs
 * packed as enqueue_jobs reads them ('' when there are none). Only the caller whose
 * expected runAt matches the stored one wins; it moves the schedule on and enqueues the
 * jobs in the same step. Returns 1 or 0.
 */
export const CLAIM_TICK_LUA = `${COMMON_LUA}
local sk = P .. 's:' .. ARGV[1]
local f = redis.call('HMGET', sk, 'next', 'paused')
if (not f[1]) or f[1] == '' or f[2] == '1' or f[1] ~= ARGV[2] then return 0 end
local now = now_ms()
redis.call('HSET', sk, 'next', ARGV[3], 'updated', now)
local out = {}
local n = tonumber(ARGV[4])
if n > 0 then enqueue_jobs(cmsgpack.unpack(ARGV[5]), n, now, out) end
return 1
`;
