// Entry of a pool thread: serves the pool over this thread's port.
import { parentPort } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./wire.ts";
import { serveWorker } from "./worker/serve-worker.ts";

const port = parentPort;
if (!port) throw new Error("@platoon/executor-thread: thread-worker must run in a worker thread");

const MB = 1024 * 1024;

serveWorker({
  send(message: FromWorker) {
    const blob = (message as { blob?: Uint8Array }).blob;
    port.postMessage(message, blob ? [blob.buffer as ArrayBuffer] : []);
  },
  onMessage(handler: (message: ToWorker) => void) {
    port.on("message", handler);
  },
  // rss is the whole process's, so only this thread's heap counts against its limit.
  memory() {
    return { heapMb: process.memoryUsage().heapUsed / MB };
  },
  exit() {
    (port as { close?: () => void }).close?.();
    process.exit(0);
  },
});
