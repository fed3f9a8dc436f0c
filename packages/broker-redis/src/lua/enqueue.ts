import { COMMON_LUA } from "./common.ts";

/**
 * ARGV: n, then the jobs packed (see enqueue_jobs). Returns n when every job was new (the
 * usual case, and a reply of one integer instead of 2n values), else {id, code, ...}.
 */
export const ENQUEUE_LUA = `${COMMON_LUA}
local out = {}
local n = tonumber(ARGV[1])
if enqueue_jobs(cmsgpack.unpack(ARGV[2]), n, now_ms(), out) then return n end
return out
`;
