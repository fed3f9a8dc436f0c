import type { RedisClient } from "./connection.ts";

type Handler = (message: Buffer) => void;

interface Channel {
  handlers: Set<Handler>;
  /** Resolves once Redis confirmed the SUBSCRIBE; every add awaits it. */
  ready: Promise<unknown>;
}

/**
 * Pub/sub over one dedicated connection, shared by result waiters and the control channel.
 * ioredis resubscribes after a reconnect; messages published while disconnected are lost,
 * so `onReconnect` listeners re-check what they wait for.
 */
export class Subscriptions {
  readonly #create: () => RedisClient;
  #conn: RedisClient | undefined;
  readonly #channels = new Map<string, Channel>();
  readonly #reconnectListeners = new Set<() => void>();
  #connectedOnce = false;

  constructor(create: () => RedisClient) {
    this.#create = create;
  }

  async add(channel: string, handler: Handler): Promise<() => Promise<void>> {
    const conn = this.#connection();
    let entry = this.#channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), ready: conn.subscribe(channel) };
      this.#channels.set(channel, entry);
    }
    entry.handlers.add(handler);
    try {
      await entry.ready;
    } catch (error) {
      entry.handlers.delete(handler);
      if (entry.handlers.size === 0 && this.#channels.get(channel) === entry)
        this.#channels.delete(channel);
      throw error;
    }
    return async () => {
      if (!entry.handlers.delete(handler)) return;
      if (entry.handlers.size > 0 || this.#channels.get(channel) !== entry) return;
      this.#channels.delete(channel);
      await conn.unsubscribe(channel).catch(() => {});
    };
  }

  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#channels.clear();
    this.#reconnectListeners.clear();
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) conn.disconnect();
  }

  #connection(): RedisClient {
    if (this.#conn) return this.#conn;
    const conn = this.#create();
    conn.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      const entry = this.#channels.get(channel.toString());
      if (!entry) return;
      for (const handler of entry.handlers) {
        try {
          handler(message);
        } catch {
          // One subscriber's bug must not starve the others.
        }
      }
    });
    conn.on("ready", () => {
      if (!this.#connectedOnce) {
        this.#connectedOnce = true;
        return;
      }
      // Wait until the automatic resubscribe went through, then let waiters re-check.
      (conn as { ping(): Promise<unknown> })
        .ping()
        .catch(() => {})
        .then(() => {
          for (const listener of this.#reconnectListeners) listener();
        });
    });
    conn.on("error", () => {
      // Reconnection is ioredis' job; an unhandled 'error' event would crash the process.
    });
    this.#conn = conn;
    return conn;
  }
}
