import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";

/**
 * A throwaway redis-server on a free port of 127.0.0.1 with its own temp dir, for tests
 * and benchmarks. Never the machine's Redis on 6379.
 */
export interface RedisServerOptions {
  /** Turn on AOF (appendfsync always), so a restart keeps every acknowledged write. */
  appendonly?: boolean;
  /** Serve TLS only, with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  extraArgs?: string[];
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #options: RedisServerOptions;
  #proc: ChildProcess | undefined;

  private constructor(port: number, dir: string, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.#options = options;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const bin = findRedisServer();
    const dir = mkdtempSync(join(tmpdir(), "platoon-redis-"));
    const server = new RedisServer(await freePort(), dir, options);
    await server.#launch(bin);
    return server;
  }

  get url(): string {
    return `${this.#options.tls ? "rediss" : "redis"}://127.0.0.1:${this.port}`;
  }

  /** Kills the server (SIGKILL by default: a crash, not a shutdown) and starts it again. */
  async restart(signal: NodeJS.Signals = "SIGKILL", downMs = 0): Promise<void> {
    await this.kill(signal);
    // Down time on purpose: an outage clients must ride out, not a wait for an event.
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.#launch(findRedisServer());
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill(signal);
    });
  }

  async stop(): Promise<void> {
    await this.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #launch(bin: string): Promise<void> {
    const tls = this.#options.tls;
    const args = [
      ...(tls
        ? ["--port", "0", "--tls-port", String(this.port), "--tls-cert-file", tls.certFile]
        : ["--port", String(this.port)]),
      ...(tls ? ["--tls-key-file", tls.keyFile, "--tls-auth-clients", "no"] : []),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--protected-mode",
      "no",
      "--maxmemory-policy",
      "noeviction",
      ...(this.#options.appendonly
        ? ["--appendonly", "yes", "--appendfsync", "always"]
        : ["--appendonly", "no"]),
      ...(this.#options.extraArgs ?? []),
    ];
    const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    this.#proc = proc;
    let stderr = "";
    proc.stderr?.on("data", (c) => {
      stderr += String(c);
    });
    // Generous (a loaded CI machine, an AOF to load after a restart), yet under the 30 s
    // hook timeout of tooling/vitest, so a failed start says why.
    const deadline = Date.now() + 25_000;
    while (!(await ping(this.port, tls !== undefined))) {
      if (proc.exitCode !== null)
        throw new Error(`redis-server exited with ${proc.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20)); // the poll interval of this wait loop
    }
    // Data loaded from AOF answers PING with -LOADING first; wait for a real PONG above.
  }
}

function findRedisServer(): string {
  for (const candidate of [
    process.env.REDIS_SERVER_BIN,
    "/usr/bin/redis-server",
    "/usr/local/bin/redis-server",
  ]) {
    if (candidate && spawnSync(candidate, ["--version"]).status === 0) return candidate;
  }
  if (spawnSync("redis-server", ["--version"]).status === 0) return "redis-server";
  throw new Error("redis-server not found: install it (apt-get install redis-server)");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    let data = "";
    const onConnect = () => socket.write("PING\r\n");
    const socket: Socket = tls
      ? tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false }, onConnect)
      : new Socket().connect(port, "127.0.0.1", onConnect);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    // One probe's idle limit; the loop above retries until its deadline.
    socket.setTimeout(2_000, () => done(false));
    socket.once("error", () => done(false));
    socket.on("data", (chunk) => {
      data += String(chunk);
      if (data.includes("\r\n")) done(data.startsWith("+PONG"));
    });
  });
}
