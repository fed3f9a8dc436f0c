// Entry of a pool thread: serves the pool over this thread's port.
import { parentPort } from "node:worker_threads";
import { runtime } from "./runtime.ts";
import { fromPort, type PortMessage, toPort } from "./thread-wire.ts";
import type { FromWorker, ToWorker } from "./wire.ts";
import { serveWorker } from "./worker/serve-worker.ts";

const port = parentPort;
if (!port) throw new Error("@platoon/executor-thread: thread-worker must run in a worker thread");

const MB = 1024 * 1024;

serveWorker({
  send(message: FromWorker) {
    const [data, transfer] = toPort(message);
    port.postMessage(data, transfer);
  },
  onMessage(handler: (message: ToWorker) => void) {
    port.on("message", (data: PortMessage) => handler(fromPort<ToWorker>(data)));
  },
  // rss is the whole process's, so only this thread's own memory counts against its limit:
  // its heap plus its external memory (ArrayBuffer and typed-array backing stores, which
  // live outside the heap and outside resourceLimits). Both are per thread on Node, Deno
  // and Bun. Bun's heapUsed already includes external memory, so it is not added twice.
  memory() {
    const usage = process.memoryUsage();
    const bytes = runtime === "bun" ? usage.heapUsed : usage.heapUsed + usage.external;
    return { heapMb: bytes / MB };
  },
  exit() {
    (port as { close?: () => void }).close?.();
    process.exit(0);
  },
});
