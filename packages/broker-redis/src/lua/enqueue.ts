import { COMMON_LUA } from "./common.ts";

/** ARGV: n, then 6 fields per job (see enqueue_jobs). Returns {id, code, ...}. */
export const ENQUEUE_LUA = `${COMMON_LUA}
local out = {}
enqueue_jobs(2, tonumber(ARGV[1]), now_ms(), out)
return out
`;
