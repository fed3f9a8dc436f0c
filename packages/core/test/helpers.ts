import { createClient, createWorker, MemoryBroker, type WorkerOptions } from "../src/index.ts";
import * as tasks from "./fixtures/tasks.ts";

/** A memory broker, a typed client and a started worker on one queue. */
export async function setup(options: Partial<WorkerOptions> = {}) {
  const broker = new MemoryBroker();
  const queue = options.queue ?? "q";
  const client = await createClient<typeof tasks>({ broker, queue });
  const worker = await createWorker({
    broker,
    tasks,
    queue,
    concurrency: 4,
    leaseMs: 5_000,
    ...options,
  });
  const stop = async () => {
    await worker.stop();
    await broker.close();
  };
  return { broker, client, worker, queue, stop };
}
