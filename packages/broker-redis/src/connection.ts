import { Cluster, Redis, type RedisOptions } from "ioredis";

export type RedisClient = Redis | Cluster;

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster || (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * Reconnects quickly (Redis restarts are usually short) without hammering: 50 ms, doubling,
 * capped at 1 s. ioredis' own default backs off to 5 s, which stalls workers for that long.
 */
export const fastRetry = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1_000);

export function connectUrl(url: string, options: RedisOptions | undefined): Redis {
  return new Redis(url, { retryStrategy: fastRetry, ...options });
}

/**
 * A connection of our own beside the caller's: blocking waits and pub/sub each need one.
 * Commands on it wait through outages (maxRetriesPerRequest: null) so the caller never
 * has to set that on their client; blocking calls get a client-side deadline
 * (blockingTimeout) so a half-open socket cannot hang a worker.
 */
export function duplicateFor(client: RedisClient, name: string): RedisClient {
  const override: RedisOptions = {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    blockingTimeout: 60_000,
    blockingTimeoutGrace: 2_000,
    connectionName: name,
    retryStrategy: (client as Redis).options?.retryStrategy ?? fastRetry,
  };
  if (isCluster(client)) {
    return client.duplicate(undefined, {
      redisOptions: { ...client.options.redisOptions, ...override },
    });
  }
  return client.duplicate(override);
}
