/**
 * Checks shared by fleet.test.ts (vitest) and fleet.lane.ts (Deno, Bun): each passes its
 * own `expect`.
 */
import { createRedisBroker } from "@platoon/broker-redis";
import { createClient, createCodec, parseHeader } from "@platoon/core";
import { Redis } from "ioredis";
import { FLEET_CODEC } from "../src/codec.ts";
import { documentFor, type FleetSummary } from "../src/fleet.ts";
import { runtime, WorkerProcess } from "../src/processes.ts";
import type * as Tasks from "../src/tasks.ts";
import { type DigestInput, type DigestOutput, digestOf } from "../src/tasks.ts";

type Expect = (actual: unknown) => any;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Exit code 0. Deno's node:child_process reports `signal: "SIGTERM", code: null` for a
 * child it sent SIGTERM even when that child caught it and exited 0; the stopped report
 * (`graceful`) shows the worker did.
 */
function exitedCleanly(code: number | null, signal: string | null): boolean {
  return code === 0 || ("Deno" in globalThis && code === null && signal === "SIGTERM");
}

/** Every job completed exactly once with the right answer, and the workers are gone. */
export function checkSummary(
  expect: Expect,
  summary: FleetSummary,
  jobs: number,
  workers: number,
  rounds = 10,
): void {
  expect(summary.jobs).toBe(jobs);
  expect(summary.completed).toBe(jobs);
  expect(summary.failed).toBe(0);
  expect(summary.wrong).toBe(0);
  expect(summary.codec.serializer).toBe("msgpack");
  expect(summary.codec.compressor).toMatchObject({ name: "gzip", level: 6, threshold: 256 });
  // The right result for every index, each index once.
  summary.results.forEach((r, i) => {
    expect(r?.i).toBe(i);
    expect(r?.sha256).toBe(digestOf(documentFor(i), rounds));
  });
  expect(new Set(summary.results.map((r) => r?.i)).size).toBe(jobs);
  // Counts add up: what the results say ran where, what each worker counted.
  expect(summary.perWorker).toHaveLength(workers);
  const sum = (f: (w: FleetSummary["perWorker"][number]) => number) =>
    summary.perWorker.reduce((n, w) => n + f(w), 0);
  expect(sum((w) => w.results)).toBe(jobs);
  // Exactly once: no job ran twice (a second run would count here, and its settle be stale).
  expect(sum((w) => w.completed)).toBe(jobs);
  expect(sum((w) => w.failed)).toBe(0);
  expect(sum((w) => w.staleSettles)).toBe(0);
  for (const w of summary.perWorker) {
    expect(w.results).toBe(w.completed);
    expect(w.graceful).toBe(true);
    expect(w.runtime).toBe(runtime);
    expect(exitedCleanly(w.exitCode, w.signal)).toBe(true);
    expect(w.pid).toBeGreaterThan(0);
    expect(alive(w.pid!)).toBe(false);
  }
  expect(summary.jobsPerSecond).toBeGreaterThan(0);
  expect(summary.lag.start.meanMs).toBeGreaterThanOrEqual(0);
  expect(summary.lag.start.p99Ms).toBeGreaterThanOrEqual(summary.lag.start.p50Ms);
  expect(summary.lag.done.p99Ms).toBeGreaterThanOrEqual(summary.lag.start.p99Ms);
}

/** The queue the fleet ran on is empty: nothing waiting, running or dead. */
export async function checkDrained(expect: Expect, url: string, queue: string): Promise<void> {
  const broker = createRedisBroker({ url });
  try {
    expect(await broker.stats(queue)).toMatchObject({ waiting: 0, delayed: 0, active: 0, dead: 0 });
  } finally {
    await broker.close();
  }
}

/**
 * A job enqueued the way the producer does it sits in Redis as msgpack + gzip (read back
 * raw from its key), and a fleet worker process then runs it.
 */
export async function checkWireFormat(expect: Expect, url: string): Promise<void> {
  const queue = `fleet-wire-${Date.now().toString(36)}`;
  const broker = createRedisBroker({ url });
  const raw = new Redis(url);
  let worker: WorkerProcess | undefined;
  try {
    const client = await createClient<typeof Tasks>({ broker, queue, ...FLEET_CODEC });
    const input: DigestInput = { i: 7, text: documentFor(7), rounds: 3 };
    const handle = await client.enqueue("digest", input);

    // The job's key holds `<header JSON>\n<payload>`; the payload starts with the codec header.
    const stored = await raw.hgetBuffer(broker.keys.jobs(queue), handle.id);
    expect(stored).not.toBeNull();
    const payload = new Uint8Array(stored!.subarray(stored!.indexOf(10) + 1));
    const header = parseHeader(payload);
    expect(header.serializerId).toBe("msgpack");
    expect(header.compressorId).toBe("gzip");
    const body = payload.subarray(header.bodyOffset);
    expect([body[0], body[1]]).toEqual([0x1f, 0x8b]); // the gzip magic
    expect(body.length).toBeLessThan(input.text.length / 2);
    // The header alone tells a consumer how to decode: a JSON-configured codec reads it too.
    expect(await (await createCodec({ serializer: "json" })).decode(payload)).toEqual(input);

    worker = new WorkerProcess("wire-worker", { url, queue, concurrency: 4 });
    await worker.ready;
    const result = (await handle.result({ timeoutMs: 20_000 })) as DigestOutput;
    expect(result).toMatchObject({ i: 7, sha256: digestOf(input.text, 3), by: "wire-worker" });
    const exit = await worker.stop();
    expect(exitedCleanly(exit.code, exit.signal)).toBe(true);
    expect(exit.report?.completed).toBe(1);
  } finally {
    await worker?.stop();
    raw.disconnect();
    await broker.close();
  }
}
