import { Worker, type WorkerOptions } from "node:worker_threads";
import type { ExitInfo, Transport, WorkerEvents, WorkerHandle } from "./pool/transport.ts";
import { isTypeScript, runtime } from "./runtime.ts";
import { fromPort, type PortMessage, toPort } from "./thread-wire.ts";
import type { FromWorker, InitMessage } from "./wire.ts";
import { workerEntry } from "./worker-entry.ts";

export interface ThreadTransportOptions {
  /** Node CLI options for the threads. Default: this process's execArgv. */
  execArgv?: string[];
  /** V8 heap limits; maxMemoryMb sets maxOldGenerationSizeMb unless given here. */
  resourceLimits?: WorkerOptions["resourceLimits"];
  maxMemoryMb?: number;
  env?: WorkerOptions["env"];
  /** The tsx API URL, when the worker entry itself is TypeScript on Node. */
  tsxApi?: string;
}

// Node 20 ignores --import in a worker's execArgv, so a TypeScript entry is loaded by a
// tiny script that registers tsx in the thread first.
const TS_BOOTSTRAP = `const { workerData } = require("node:worker_threads");
import(workerData.tsxApi).then((api) => { api.register(); return import(workerData.entry); })
  .catch((error) => { setImmediate(() => { throw error; }); });`;

export class ThreadTransport implements Transport {
  readonly kind = "thread";
  readonly #options: ThreadTransportOptions;
  readonly #entry = workerEntry("thread-worker");

  constructor(options: ThreadTransportOptions) {
    this.#options = options;
  }

  spawn(init: InitMessage, events: WorkerEvents): WorkerHandle {
    const options = this.#options;
    const execArgv = [...(options.execArgv ?? process.execArgv)];
    const fromSource = isTypeScript(this.#entry.pathname);
    // Sources import @platoon/* by the "source" export condition; a build needs none.
    if (fromSource && runtime === "node" && !execArgv.some((a) => a.includes("conditions"))) {
      execArgv.push("--conditions=source");
    }
    const resourceLimits =
      options.resourceLimits ??
      (options.maxMemoryMb === undefined
        ? undefined
        : { maxOldGenerationSizeMb: options.maxMemoryMb });
    const common: WorkerOptions = {
      execArgv,
      stdout: false,
      stderr: false,
      ...(resourceLimits ? { resourceLimits } : {}),
      ...(options.env === undefined ? {} : { env: options.env }),
    };
    const worker =
      fromSource && runtime === "node"
        ? new Worker(TS_BOOTSTRAP, {
            ...common,
            eval: true,
            workerData: { tsxApi: options.tsxApi, entry: this.#entry.href },
          })
        : new Worker(this.#entry, common);
    let error: unknown;
    worker.on("message", (data: PortMessage) => events.message(fromPort<FromWorker>(data)));
    worker.on("error", (e) => {
      error = e;
    });
    worker.on("exit", (code) => {
      const info: ExitInfo = { code, signal: null };
      if (error !== undefined) info.error = error;
      if ((error as { code?: string })?.code === "ERR_WORKER_OUT_OF_MEMORY")
        info.outOfMemory = true;
      events.exit(info);
    });
    worker.postMessage(toPort(init)[0]);
    return {
      send(message) {
        const [data, transfer] = toPort(message);
        worker.postMessage(data, transfer);
      },
      kill() {
        void worker.terminate();
      },
    };
  }
}
