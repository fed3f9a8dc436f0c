import type { Delivery, NewJob, Settlement } from "@platoon/core";
import type { RedisServer } from "@platoon/testkit/redis-server";
import { createRedisBroker, type RedisBroker, type RedisBrokerOptions } from "../src/index.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();
/**
 * For scenario time only: a lease or ttl that must run out, a cadence, a window in which
 * something must NOT happen. Never to "let things happen": wait for the event (waitFor).
 */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The promise's value, or a clear failure if it has not settled after `ms`. A bound that
 * proves "it did not hang" (pick it generous: ≥ 20 s), never a speed check.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until a queue holds no waiting, delayed or active job. Fails when progress stops
 * (stats unchanged for `stallMs`), never merely because a loaded machine is slow.
 */
export async function waitForDrain(
  broker: Pick<RedisBroker, "stats">,
  queue: string,
  what: string,
  stallMs = 30_000,
): Promise<void> {
  let last = "";
  let changedAt = Date.now();
  for (;;) {
    const s = await broker.stats(queue);
    if (s.waiting + s.delayed + s.active === 0) return;
    const now = JSON.stringify(s);
    if (now !== last) {
      last = now;
      changedAt = Date.now();
    } else if (Date.now() - changedAt > stallMs) {
      throw new Error(`${what}: no progress for ${stallMs} ms: ${now}`);
    }
    await sleep(100); // the poll interval of this wait loop
  }
}

let counter = 0;
export const uniqueQueue = (name = "q") => `${name}-${Date.now().toString(36)}-${++counter}`;

export function job(id: string, extra: Partial<NewJob> = {}): NewJob {
  return { id, task: "t", payload: enc.encode(id), ...extra };
}

/** Brokers made here are closed by closeAll(). */
/** A complete settlement for each delivery; its result is `result(d)` (default: empty). */
export function completions(
  ds: Delivery[],
  result: (d: Delivery) => Uint8Array = () => new Uint8Array(),
): Settlement[] {
  return ds.map((d) => ({ kind: "complete", id: d.id, token: d.token, result: result(d) }));
}

export function brokers(server: () => RedisServer) {
  const made: RedisBroker[] = [];
  return {
    make(options: RedisBrokerOptions = {}): RedisBroker {
      const b = createRedisBroker({ url: server().url, ...options });
      made.push(b);
      return b;
    },
    async closeAll(): Promise<void> {
      await Promise.all(made.splice(0).map((b) => b.close().catch(() => {})));
    },
  };
}
