export type { RedisClient } from "./connection.ts";
export { KeySpace } from "./keys.ts";
export { RedisBroker, type RedisBrokerOptions } from "./redis-broker.ts";

import { RedisBroker, type RedisBrokerOptions } from "./redis-broker.ts";

/** A Redis broker from a URL (`redis://`, `rediss://`) or an existing ioredis client. */
export function createRedisBroker(options: RedisBrokerOptions | string = {}): RedisBroker {
  return new RedisBroker(typeof options === "string" ? { url: options } : options);
}
