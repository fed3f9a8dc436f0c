import { availableParallelism } from "node:os";
import { tsxApiUrl } from "./node-typescript.ts";
import { PoolExecutor, type PoolInitExtras, type PoolOptions } from "./pool/pool-executor.ts";
import { isTypeScript, runtime } from "./runtime.ts";
import { ThreadTransport, type ThreadTransportOptions } from "./thread-transport.ts";
import { workerEntry } from "./worker-entry.ts";

export interface ThreadExecutorOptions
  extends PoolOptions,
    Omit<ThreadTransportOptions, "maxMemoryMb" | "tsxApi"> {}

/**
 * Runs tasks in a pool of worker threads (node:worker_threads on Node, Bun and Deno).
 * A hung task's thread is terminated; memory is bounded by V8 heap limits where the
 * runtime enforces them and by the heap each thread reports.
 */
export class ThreadExecutor extends PoolExecutor {
  constructor(options: ThreadExecutorOptions = {}) {
    const needsTsx = runtime === "node" && isTypeScript(workerEntry("thread-worker").pathname);
    super(
      new ThreadTransport({
        ...options,
        ...(needsTsx ? { tsxApi: tsxApiUrl() } : {}),
      }),
      options,
      availableParallelism(),
    );
  }

  protected override initExtras(tasksModule: string): PoolInitExtras {
    return runtime === "node" && isTypeScript(tasksModule) ? { tsxApi: tsxApiUrl() } : {};
  }
}

export function createThreadExecutor(options?: ThreadExecutorOptions): ThreadExecutor {
  return new ThreadExecutor(options);
}
