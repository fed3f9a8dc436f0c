import type { NewJob } from "@platoon/core";
import { createRedisBroker, type RedisBroker, type RedisBrokerOptions } from "../src/index.ts";
import type { RedisServer } from "./redis-server.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let counter = 0;
export const uniqueQueue = (name = "q") => `${name}-${Date.now().toString(36)}-${++counter}`;

export function job(id: string, extra: Partial<NewJob> = {}): NewJob {
  return { id, task: "t", payload: enc.encode(id), ...extra };
}

/** Brokers made here are closed by closeAll(). */
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
