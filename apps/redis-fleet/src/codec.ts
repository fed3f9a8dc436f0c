import type { CodecConfig } from "@platoon/core";

/**
 * What goes over Redis, named in plain config and resolved by @platoon/core's adapter
 * registry: msgpack bodies (@platoon/serializer-msgpack), gzipped (@platoon/compressor-fflate)
 * when they reach 256 bytes. The producer and every worker use the same choice; a worker
 * could decode other choices too, since each payload's header names its own.
 */
export const FLEET_CODEC = {
  serializer: "msgpack",
  compressor: { name: "gzip", level: 6, threshold: 256 },
} as const satisfies CodecConfig;

/** The queue the sample uses unless told otherwise. */
export const DEFAULT_QUEUE = "redis-fleet";
