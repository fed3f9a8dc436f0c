/**
 * The in-memory broker. Its implementation lives in @platoon/core, because the pool
 * embeds it and core cannot depend on an adapter package; this package is its public
 * home and runs the conformance suite against it.
 */
export { MemoryBroker, type MemoryBrokerOptions } from "@platoon/core";

import { MemoryBroker, type MemoryBrokerOptions } from "@platoon/core";

export function createMemoryBroker(options?: MemoryBrokerOptions): MemoryBroker {
  return new MemoryBroker(options);
}
