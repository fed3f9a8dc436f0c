/**
 * Key and channel names. Every key of a queue shares the hash tag `{<prefix>:<queue>}`, so a
 * queue lives in one Redis Cluster slot and every script can touch all of its keys
 * (no CROSSSLOT). Scripts receive the queue's base key (`{platoon:q}:`) as KEYS[1] and
 * derive the rest from it; see the README for the full layout.
 */
export class KeySpace {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** `{platoon:<queue>}:` — the base every queue key starts with. */
  queue(queue: string): string {
    return `{${this.#prefix}:${queue}}:`;
  }

  marker(queue: string): string {
    return `${this.queue(queue)}marker`;
  }

  /** A reserve call's private wake key, so an abort can end its blocking wait. */
  wake(queue: string, waiterId: string): string {
    return `${this.queue(queue)}wake:${waiterId}`;
  }

  result(queue: string, id: string): string {
    return `${this.queue(queue)}r:${id}`;
  }

  /** The hash of a queue's jobs: id → stored job (header JSON, newline, payload). */
  jobs(queue: string): string {
    return `${this.queue(queue)}jobs`;
  }

  /** Pub/sub channel on which settles announce the ids whose results landed. */
  doneChannel(queue: string): string {
    return `${this.queue(queue)}done`;
  }

  lock(name: string): string {
    return `{${this.#prefix}:lock:${name}}`;
  }

  /** Global index of schedules: id → queue (the schedule itself lives in its queue's slot). */
  scheduleIndex(): string {
    return `{${this.#prefix}}:schedules`;
  }

  schedule(queue: string, id: string): string {
    return `${this.queue(queue)}s:${id}`;
  }

  scheduleSet(queue: string): string {
    return `${this.queue(queue)}scheds`;
  }

  control(channel: string): string {
    return `${this.#prefix}:ctl:${channel}`;
  }
}
