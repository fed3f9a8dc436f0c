import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export type RuntimeName = "node" | "deno" | "bun";

export const runtime: RuntimeName =
  "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

const WORKER_ENTRY = fileURLToPath(new URL("./worker.ts", import.meta.url));

/**
 * The command line that runs the worker entry (TypeScript) on the runtime running this
 * process: Node needs tsx to load .ts and the "source" condition to find @platoon/*
 * sources; Deno reads the workspace's deno.json import map; Bun needs only the condition.
 */
export function workerCommand(args: string[]): { command: string; args: string[] } {
  switch (runtime) {
    case "deno":
      return { command: process.execPath, args: ["run", "-A", WORKER_ENTRY, ...args] };
    case "bun":
      return { command: process.execPath, args: ["--conditions=source", WORKER_ENTRY, ...args] };
    case "node":
      return {
        command: process.execPath,
        args: ["--conditions=source", "--import", tsxLoaderUrl(), WORKER_ENTRY, ...args],
      };
  }
}

function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("tsx/package.json"));
  return pathToFileURL(join(root, "dist", "loader.mjs")).href;
}

/** What a worker process reports when it stops (see worker.ts). */
export interface WorkerReport {
  name: string;
  pid: number;
  runtime: RuntimeName;
  why: string;
  completed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  requeued: number;
  staleSettles: number;
  queueLag: { count: number; meanMs: number; p50Ms: number; p99Ms: number };
  duration: { count: number; meanMs: number; p50Ms: number; p99Ms: number };
}

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  report: WorkerReport | undefined;
}

/**
 * A worker child process: its JSON lines on stdout are reports, any other output goes to
 * this process's stderr with a `[name]` prefix.
 */
export class WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves once the worker takes jobs; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited, with its last report. */
  readonly exited: Promise<WorkerExit>;
  #report: WorkerReport | undefined;

  constructor(
    name: string,
    options: { url: string; queue: string; concurrency: number; env?: NodeJS.ProcessEnv },
  ) {
    this.name = name;
    const { command, args } = workerCommand([
      "--redis",
      options.url,
      "--queue",
      options.queue,
      "--concurrency",
      String(options.concurrency),
      "--name",
      name,
      "--stop-on-stdin-end",
    ]);
    this.child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...(options.env ?? process.env), FLEET_WORKER: name },
    });
    let onReady!: () => void;
    let onFail!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    // Unhandled if nobody waits for readiness, which is fine: exited tells the rest.
    this.ready.catch(() => {});
    let stderr = "";
    // "close", not "exit": stdout is drained by then, so the stopped report has been read.
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        onFail(
          new Error(
            `worker ${name} exited (code ${code}, signal ${signal}) before it was ready${stderr ? `: ${stderr.trim()}` : ""}`,
          ),
        );
        resolve({ code, signal, report: this.#report });
      });
      this.child.once("error", (error) => {
        onFail(error);
        resolve({ code: null, signal: null, report: undefined });
      });
    });
    this.child.stdin?.on("error", () => {});
    lines(this.child.stdout!, (line) => {
      const message = parseReport(line);
      if (message?.fleet === "ready") onReady();
      else if (message?.fleet === "stopped") this.#report = message as unknown as WorkerReport;
      else process.stderr.write(`[${name}] ${line}\n`);
    });
    lines(this.child.stderr!, (line) => {
      if (stderr.length < 4_000) stderr += `${line}\n`;
      process.stderr.write(`[${name}] ${line}\n`);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM (a graceful stop); SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 15_000): Promise<WorkerExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }
}

function parseReport(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{"fleet":')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    rest += chunk;
    let at = rest.indexOf("\n");
    while (at >= 0) {
      onLine(rest.slice(0, at));
      rest = rest.slice(at + 1);
      at = rest.indexOf("\n");
    }
  });
  stream.on("end", () => {
    if (rest) onLine(rest);
    rest = "";
  });
}
