import { createRedisBroker } from "@platoon/broker-redis";
import { type CodecSpec, createClient, type JobHandle } from "@platoon/core";
import { RedisServer } from "@platoon/testkit/redis-server";
import { FLEET_CODEC } from "./codec.ts";
import { type WorkerExit, WorkerProcess, type WorkerReport } from "./processes.ts";
import { Progress, summarize } from "./progress.ts";
import type * as Tasks from "./tasks.ts";
import { type DigestInput, type DigestOutput, digestOf } from "./tasks.ts";

export interface FleetOptions {
  /** The Redis to use. Default: a throwaway redis-server on a free port, stopped at the end. */
  redisUrl?: string;
  /** Worker processes to start. 0: only workers started elsewhere (`worker.ts`) serve the queue. */
  workers: number;
  /** Jobs to run. */
  jobs: number;
  /**
   * Jobs per `enqueueMany` call. Default 250. A batch is encoded before it is sent, so its
   * jobs wait for the whole batch's encoding: bigger batches, more lag.
   */
  batch?: number;
  /** Jobs each worker holds at once (inline executor capacity). Default 100. */
  concurrency?: number;
  /** SHA-256 rounds per job. Default 10. */
  rounds?: number;
  /** Default: `redis-fleet:<run id>`, a fresh queue per run. */
  queue?: string;
  /** Give up (and stop everything) if the run takes longer. Default 5 minutes. */
  timeoutMs?: number;
  /** Where the progress bar and status lines go (stderr in main.ts). Default: nowhere. */
  out?: { write(text: string): unknown; isTTY?: boolean };
  /** Aborting stops the workers and the server and rejects the run. */
  signal?: AbortSignal;
}

export interface LagStats {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface WorkerSummary {
  name: string;
  pid: number | undefined;
  /** The runtime the worker process ran on (the producer's own). */
  runtime: string | undefined;
  /** Results that name this worker as the one that ran them. */
  results: number;
  /** What the worker itself counted (its stopped report). */
  completed: number;
  failed: number;
  staleSettles: number;
  /** The worker's own queue lag: from the job being ready in Redis to its start. */
  queueLag: LagStats | undefined;
  /** The worker stopped gracefully: it sent its stopped report before it exited. */
  graceful: boolean;
  exitCode: number | null;
  /**
   * Set when the process was killed by a signal. Deno (2.9) also reports the signal it sent
   * for a child that caught it and exited 0, so look at `graceful` too.
   */
  signal: string | null;
}

export interface FleetSummary {
  redisUrl: string;
  /** True when the run started (and stopped) its own redis-server. */
  throwawayRedis: boolean;
  queue: string;
  /** The producer's codec as plain data: serializer, compressor, threshold. */
  codec: CodecSpec;
  jobs: number;
  workers: number;
  /** Results received. */
  completed: number;
  /** Results whose digest or index was not the expected one. */
  wrong: number;
  /** Jobs that failed (a RemoteError from `result()`). */
  failed: number;
  /** From the first enqueue to the last result. */
  seconds: number;
  /** Time spent in `enqueueMany` calls (encoding included). */
  enqueueSeconds: number;
  jobsPerSecond: number;
  /**
   * Lag, per job, from the moment the producer started the `enqueueMany` call that carried
   * it: `start` to the task starting on a worker, `done` to the producer holding its result.
   */
  lag: { start: LagStats; done: LagStats };
  /** The worker processes this run started. */
  perWorker: WorkerSummary[];
  /** Results per worker name, including workers started elsewhere on the same queue. */
  byWorker: Record<string, number>;
  /** Results by job index (for checks; `undefined` where a job failed). */
  results: (DigestOutput | undefined)[];
}

const WORDS =
  "platoon queue worker broker lease settle retry backoff payload codec msgpack gzip redis fleet producer consumer shard batch signal drain".split(
    " ",
  );

/** The document of job `i`: ~1 KB of words, different per job, compressible like text. */
export function documentFor(i: number, words = 160): string {
  let seed = Math.imul(i + 1, 2654435761) >>> 0;
  const out: string[] = [`doc-${i}:`];
  for (let w = 0; w < words; w++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out.push(WORDS[seed % WORDS.length]!);
  }
  return out.join(" ");
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("fleet run aborted");
}

/**
 * Starts N worker processes against Redis (a throwaway redis-server unless a URL is
 * given), enqueues `jobs` digest jobs in batches, waits for every result with a progress
 * bar, stops the workers gracefully and returns what happened.
 */
export async function runFleet(options: FleetOptions): Promise<FleetSummary> {
  const batch = options.batch ?? 250;
  const rounds = options.rounds ?? 10;
  const concurrency = options.concurrency ?? 100;
  const queue = options.queue ?? `redis-fleet:${Date.now().toString(36)}`;
  const say = (line: string) => options.out?.write(`${line}\n`);
  options.signal?.throwIfAborted();

  const server = options.redisUrl ? undefined : await RedisServer.start();
  const redisUrl = options.redisUrl ?? server!.url;
  if (server) say(`started a throwaway redis-server at ${redisUrl}`);
  const broker = createRedisBroker({ url: redisUrl });
  const workers: WorkerProcess[] = [];
  let exits: WorkerExit[] | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopWorkers = async () => {
    exits ??= await Promise.all(workers.map((w) => w.stop()));
    return exits;
  };
  try {
    const client = await createClient<typeof Tasks>({
      broker,
      queue,
      ...FLEET_CODEC,
      // Each result is read once, as soon as it lands; then Redis drops it within a minute.
      resultTtlMs: 60_000,
    });
    for (let w = 0; w < options.workers; w++) {
      workers.push(new WorkerProcess(`worker-${w + 1}`, { url: redisUrl, queue, concurrency }));
    }
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`fleet run timed out after ${options.timeoutMs ?? 300_000} ms`)),
        options.timeoutMs ?? 300_000,
      );
      options.signal?.addEventListener("abort", () => reject(abortError(options.signal!)), {
        once: true,
      });
    });
    stop.catch(() => {});
    await Promise.race([Promise.all(workers.map((w) => w.ready)), stop]);
    say(
      workers.length > 0
        ? `${workers.length} workers ready (pids ${workers.map((w) => w.pid).join(", ")}), queue ${queue}`
        : `no workers started here: jobs on queue ${queue} wait for workers started elsewhere`,
    );

    const results: (DigestOutput | undefined)[] = new Array(options.jobs);
    const startLag: number[] = [];
    const doneLag: number[] = [];
    let failed = 0;
    const progress = options.out ? new Progress(options.jobs, options.out) : undefined;
    const pending: Promise<void>[] = [];
    const watch = (handle: JobHandle<DigestOutput>, i: number, sentAt: number) =>
      handle.result().then(
        (r) => {
          doneLag.push(Date.now() - sentAt);
          startLag.push(r.startedAt - sentAt);
          results[i] = r;
          progress?.tick();
        },
        () => {
          failed++;
          progress?.tick();
        },
      );

    const started = performance.now();
    let enqueueMs = 0;
    for (let from = 0; from < options.jobs; from += batch) {
      const to = Math.min(options.jobs, from + batch);
      const inputs: DigestInput[] = [];
      for (let i = from; i < to; i++) inputs.push({ i, text: documentFor(i), rounds });
      const sentAt = Date.now();
      const t = performance.now();
      const handles = await Promise.race([client.enqueueMany("digest", inputs), stop]);
      enqueueMs += performance.now() - t;
      for (let k = 0; k < handles.length; k++) pending.push(watch(handles[k]!, from + k, sentAt));
    }
    await Promise.race([Promise.all(pending), stop]);
    const seconds = (performance.now() - started) / 1000;
    let wrong = 0;
    // Checked once the clock has stopped, so the check does not slow the run it measures.
    for (let i = 0; i < options.jobs; i++) {
      const r = results[i];
      if (r && (r.i !== i || r.sha256 !== digestOf(documentFor(i), rounds))) wrong++;
    }

    const ended = await stopWorkers();
    const by = new Map<string, number>();
    for (const r of results) if (r) by.set(r.by, (by.get(r.by) ?? 0) + 1);
    const perWorker = workers.map((w, k): WorkerSummary => {
      const exit = ended[k]!;
      const report: WorkerReport | undefined = exit.report;
      return {
        name: w.name,
        pid: w.pid,
        runtime: report?.runtime,
        results: by.get(w.name) ?? 0,
        completed: report?.completed ?? 0,
        failed: report?.failed ?? 0,
        staleSettles: report?.staleSettles ?? 0,
        queueLag: report?.queueLag,
        graceful: report !== undefined,
        exitCode: exit.code,
        signal: exit.signal,
      };
    });
    const completed = results.reduce((n, r) => n + (r ? 1 : 0), 0);
    return {
      redisUrl,
      throwawayRedis: server !== undefined,
      queue,
      codec: client.codec.spec(),
      jobs: options.jobs,
      workers: workers.length,
      completed,
      wrong,
      failed,
      seconds,
      enqueueSeconds: enqueueMs / 1000,
      jobsPerSecond: completed / seconds,
      lag: { start: summarize(startLag), done: summarize(doneLag) },
      perWorker,
      byWorker: Object.fromEntries([...by].sort(([a], [b]) => a.localeCompare(b))),
      results,
    };
  } finally {
    clearTimeout(timer);
    await stopWorkers();
    await broker.close();
    await server?.stop();
  }
}
