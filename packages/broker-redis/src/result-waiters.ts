import type { JobResult } from "@platoon/core";
import type { Subscriptions } from "./subscriptions.ts";

type Finish = (result: JobResult | undefined, error?: unknown) => void;

interface QueueWaiters {
  ids: Map<string, Set<Finish>>;
  /** Resolves to the unsubscribe function once Redis confirmed the subscription. */
  subscribed: Promise<() => Promise<void>>;
  /** Ids whose first look is due: the waits of one tick share one MGET. */
  pending: string[];
  /** Set while no wait is left: the subscription goes when it fires. */
  dropTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * How long a queue's subscription outlives its last waiter: a caller that awaits one job
 * after another (`await client.run(...)` in a loop) keeps one subscription instead of
 * subscribing and unsubscribing for every job.
 */
const LINGER_MS = 1_000;

/**
 * Every waitResult of a queue shares one subscription to the queue's `done` channel. Each
 * announcement (a JSON array of ids, one per settle batch) is parsed once, and the results
 * of all waited-for ids in it are fetched with one MGET, as are the first looks of the
 * waits made in one tick. Thousands of job handles waiting on one queue cost one handler
 * and one MGET, not thousands.
 */
export class ResultWaiters {
  readonly #subs: Subscriptions;
  readonly #channelOf: (queue: string) => string;
  readonly #fetch: (queue: string, ids: string[]) => Promise<(JobResult | undefined)[]>;
  readonly #queues = new Map<string, QueueWaiters>();
  readonly #offReconnect: () => void;

  constructor(
    subs: Subscriptions,
    channelOf: (queue: string) => string,
    fetch: (queue: string, ids: string[]) => Promise<(JobResult | undefined)[]>,
  ) {
    this.#subs = subs;
    this.#channelOf = channelOf;
    this.#fetch = fetch;
    // Announcements sent while the subscriber was reconnecting are lost: look again.
    this.#offReconnect = subs.onReconnect(() => {
      for (const [queue, q] of this.#queues) this.#look(queue, q, [...q.ids.keys()]);
    });
  }

  /**
   * Subscribes first, then looks: a result that lands in between is seen by the look, one
   * that lands after by the subscription.
   */
  wait(queue: string, id: string, timeoutMs: number): Promise<JobResult | undefined> {
    return new Promise((resolve, reject) => {
      const q = this.#entry(queue);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish: Finish = (result, error) => {
        if (timer !== undefined) clearTimeout(timer);
        const set = q.ids.get(id);
        if (!set?.delete(finish)) return;
        if (set.size === 0) q.ids.delete(id);
        if (q.ids.size === 0) this.#dropLater(queue, q);
        if (error !== undefined) reject(error);
        else resolve(result);
      };
      if (q.dropTimer !== undefined) {
        clearTimeout(q.dropTimer);
        q.dropTimer = undefined;
      }
      let set = q.ids.get(id);
      if (!set) q.ids.set(id, (set = new Set()));
      set.add(finish);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => finish(undefined), timeoutMs);
      q.pending.push(id);
      if (q.pending.length === 1) {
        const take = () => {
          const ids = q.pending.filter((pending) => q.ids.has(pending));
          q.pending = [];
          return ids;
        };
        q.subscribed.then(
          () => this.#look(queue, q, take()),
          (error) => {
            for (const pending of take())
              for (const f of [...(q.ids.get(pending) ?? [])]) f(undefined, error);
          },
        );
      }
    });
  }

  /** Resolves every pending wait with undefined. */
  closeAll(): void {
    this.#offReconnect();
    for (const [queue, q] of [...this.#queues]) {
      for (const set of [...q.ids.values()]) for (const finish of [...set]) finish(undefined);
      clearTimeout(q.dropTimer);
      this.#drop(queue, q);
    }
    this.#queues.clear();
  }

  #entry(queue: string): QueueWaiters {
    let q = this.#queues.get(queue);
    if (q) return q;
    const ids = new Map<string, Set<Finish>>();
    const entry: QueueWaiters = {
      ids,
      pending: [],
      dropTimer: undefined,
      subscribed: this.#subs.add(this.#channelOf(queue), (message) => {
        let announced: string[];
        try {
          announced = JSON.parse(message.toString()) as string[];
        } catch {
          return;
        }
        const hits = announced.filter((id) => ids.has(id));
        if (hits.length > 0) this.#look(queue, entry, hits);
      }),
    };
    q = entry;
    this.#queues.set(queue, q);
    return q;
  }

  #look(queue: string, q: QueueWaiters, ids: string[]): void {
    if (ids.length === 0) return;
    this.#fetch(queue, ids).then(
      (results) => {
        ids.forEach((id, i) => {
          const result = results[i];
          if (result) for (const finish of [...(q.ids.get(id) ?? [])]) finish(result);
        });
      },
      (error) => {
        for (const id of ids)
          for (const finish of [...(q.ids.get(id) ?? [])]) finish(undefined, error);
      },
    );
  }

  #dropLater(queue: string, q: QueueWaiters): void {
    q.dropTimer = setTimeout(() => {
      q.dropTimer = undefined;
      if (q.ids.size === 0) this.#drop(queue, q);
    }, LINGER_MS);
    // A lingering subscription must not keep the process alive.
    (q.dropTimer as { unref?: () => void }).unref?.();
  }

  #drop(queue: string, q: QueueWaiters): void {
    if (this.#queues.get(queue) === q) this.#queues.delete(queue);
    q.subscribed.then((off) => off()).catch(() => {});
  }
}
