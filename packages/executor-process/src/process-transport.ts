import { type ChildProcess, spawn } from "node:child_process";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import {
  type ExitInfo,
  type InitMessage,
  isTypeScript,
  runtime,
  type Transport,
  tsxImportUrl,
  type WorkerEvents,
  type WorkerHandle,
} from "@platoon/executor-thread";
import { encodeFrame, FrameDecoder } from "./frames.ts";
import { LinePrefixer } from "./line-prefixer.ts";
import { residentMb } from "./proc-memory.ts";
import { workerEntry } from "./worker-entry.ts";

export interface ProcessTransportOptions {
  /** The runtime binary for workers. Default: the one running this process. */
  command?: string;
  /**
   * Runtime options before the entry file (node: `--max-old-space-size=512`; deno: they
   * follow `run -A`). Default none: a worker does not inherit this process's flags.
   */
  execArgv?: string[];
  /** Worker environment. Default: this process's. PLATOON_WORKER_ID is added. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * What happens to a worker's stdout and stderr: "prefix" (default) forwards each line to
   * this process's stdout/stderr led by `[process-<id>]`; "inherit" shares them as is.
   */
  output?: "prefix" | "inherit" | "ignore";
  /** SIGTERM, then SIGKILL this long after. Default 1000 ms. */
  killGraceMs?: number;
  /** Poll the worker's RSS from /proc at this interval when a memory limit is set. */
  memoryCheckIntervalMs?: number;
  maxMemoryMb?: number;
}

export class ProcessTransport implements Transport {
  readonly kind = "process";
  readonly #options: ProcessTransportOptions;
  readonly #entry = workerEntry("process-worker");

  constructor(options: ProcessTransportOptions) {
    this.#options = options;
  }

  #commandLine(tasksModule: string): { command: string; args: string[] } {
    const options = this.#options;
    const entry = fileURLToPath(this.#entry);
    const fromSource = isTypeScript(entry);
    const extra = options.execArgv ?? [];
    if (options.command) return { command: options.command, args: [...extra, entry] };
    if (runtime === "deno") {
      return { command: process.execPath, args: ["run", "-A", ...extra, entry] };
    }
    const args: string[] = [];
    // Sources import @platoon/* by the "source" export condition; a build needs none.
    if (fromSource) args.push("--conditions=source");
    if (runtime === "node" && (fromSource || isTypeScript(tasksModule))) {
      args.push("--import", tsxImportUrl());
    }
    return { command: process.execPath, args: [...args, ...extra, entry] };
  }

  spawn(init: InitMessage, events: WorkerEvents): WorkerHandle {
    const options = this.#options;
    const { command, args } = this.#commandLine(init.tasksModule);
    const output = options.output ?? "prefix";
    const child: ChildProcess = spawn(command, args, {
      stdio: [
        "ignore",
        output === "prefix" ? "pipe" : output,
        output === "prefix" ? "pipe" : output,
        "pipe",
      ],
      env: { ...(options.env ?? process.env), PLATOON_WORKER_ID: String(init.workerId) },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      windowsHide: true,
    });
    const label = `process-${init.workerId}`;
    const prefixers: LinePrefixer[] = [];
    if (output === "prefix") {
      const out = new LinePrefixer(label, (text) => process.stdout.write(text));
      const err = new LinePrefixer(label, (text) => process.stderr.write(text));
      prefixers.push(out, err);
      child.stdout?.setEncoding("utf8").on("data", (text: string) => out.push(text));
      child.stderr?.setEncoding("utf8").on("data", (text: string) => err.push(text));
    }
    const channel = child.stdio[3] as Duplex;
    const decoder = new FrameDecoder();
    channel.on("data", (chunk: Buffer) => decoder.push(chunk, events.message));
    // The pipe breaks when the worker dies; its exit is reported by "close" below.
    channel.on("error", () => {});

    let memoryTimer: ReturnType<typeof setInterval> | undefined;
    if (options.maxMemoryMb !== undefined && child.pid !== undefined) {
      const pid = child.pid;
      memoryTimer = setInterval(() => {
        void residentMb(pid).then((mb) => {
          if (mb !== undefined && alive) events.rss?.(mb);
        });
      }, options.memoryCheckIntervalMs ?? 250);
      memoryTimer.unref?.();
    }

    let alive = true;
    let spawnError: unknown;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (info: ExitInfo) => {
      if (!alive) return;
      alive = false;
      clearInterval(memoryTimer);
      clearTimeout(killTimer);
      for (const p of prefixers) p.flush();
      events.exit(info);
    };
    child.on("error", (error) => {
      spawnError = error;
      // A child that never started emits no "close" of its own in every runtime.
      if (child.pid === undefined) finish({ code: null, signal: null, error });
    });
    // "close", not "exit": results written just before exiting are still in the pipe.
    child.on("close", (code, signal) => {
      const info: ExitInfo = { code, signal };
      if (spawnError !== undefined) info.error = spawnError;
      finish(info);
    });
    child.stdin?.end();
    channel.write(encodeFrame(init));

    return {
      ...(child.pid === undefined ? {} : { pid: child.pid }),
      send(message) {
        if (alive) channel.write(encodeFrame(message));
      },
      kill() {
        if (!alive || killTimer) return;
        child.kill("SIGTERM");
        // A task may ignore SIGTERM (or never yield to handle it): SIGKILL cannot be ignored.
        killTimer = setTimeout(() => {
          if (alive) child.kill("SIGKILL");
        }, options.killGraceMs ?? 1000);
      },
    };
  }
}
