// Entry of a pool child process: serves the pool over fd 3, leaving stdout/stderr to tasks.
import fs from "node:fs";
import net from "node:net";
import type { Readable, Writable } from "node:stream";
import { runtime, serveWorker, type ToWorker } from "@platoon/executor-thread";
import { encodeFrame, FrameDecoder } from "./frames.ts";

const MB = 1024 * 1024;
const CHANNEL_FD = 3;

// Node and Deno expose an inherited socket fd as a net.Socket; Bun reads and writes it as a file.
let input: Readable;
let output: Writable;
if (runtime === "bun") {
  input = fs.createReadStream("", { fd: CHANNEL_FD });
  output = fs.createWriteStream("", { fd: CHANNEL_FD });
} else {
  const socket = new net.Socket({ fd: CHANNEL_FD, readable: true, writable: true });
  input = socket;
  output = socket;
}

let handler: ((message: ToWorker) => void) | undefined;
const decoder = new FrameDecoder();
input.on("data", (chunk: Buffer) => decoder.push(chunk, (message) => handler?.(message)));
// The pool is gone: nobody will read results, so leave.
input.on("end", () => process.exit(0));
input.on("error", () => process.exit(0));

serveWorker({
  send(message) {
    output.write(encodeFrame(message));
  },
  onMessage(h) {
    handler = h;
  },
  memory() {
    const usage = process.memoryUsage();
    return { rssMb: usage.rss / MB, heapMb: usage.heapUsed / MB };
  },
  exit() {
    output.end(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref?.();
  },
});
