import { COMMON_LUA } from "./common.ts";

/** ARGV: n, then the jobs packed (see enqueue_jobs). Returns {id, code, ...}. */
export const ENQUEUE_LUA = `${COMMON_LUA}
local out = {}
enqueue_jobs(cmsgpack.unpack(ARGV[2]), tonumber(ARGV[1]), now_ms(), out)
return out
`;
