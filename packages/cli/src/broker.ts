import { type Broker, MemoryBroker, PlatoonError } from "@platoon/core";
import { CliError, EXIT, usage } from "./exit-codes.ts";

/**
 * Opens the broker named by a URL. `interactive` (one-shot commands) fails fast when the
 * broker is down instead of retrying for a minute.
 */
export async function openBroker(url: string, interactive: boolean): Promise<Broker> {
  if (url === "memory://" || url === "memory") return new MemoryBroker();
  if (/^rediss?:\/\//.test(url)) {
    const { createRedisBroker } = await import("@platoon/broker-redis");
    return createRedisBroker({
      url,
      ...(interactive
        ? {
            retryWindowMs: 1_500,
            redisOptions: {
              connectTimeout: 2_000,
              retryStrategy: (n: number) => Math.min(n * 100, 500),
            },
          }
        : {}),
    });
  }
  throw usage(`unknown broker URL "${url}" (use redis://host:port, rediss://…, or memory://)`);
}

/** Fails with exit code 3 when the broker does not answer a cheap call in time. */
export async function checkReachable(
  broker: Broker,
  url: string,
  timeoutMs = 3_000,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      broker.stats("default"),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer")), timeoutMs);
      }),
    ]);
  } catch (error) {
    // Not awaited: closing a connection that never opened can hang; the process exits.
    void broker.close().catch(() => {});
    const why = error instanceof PlatoonError ? error.message : (error as Error).message;
    throw new CliError(
      EXIT.BROKER_UNREACHABLE,
      `cannot reach the broker at ${redact(url)}: ${why}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Hides a password in a URL. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
