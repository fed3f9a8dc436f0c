import { availableParallelism } from "node:os";
import { PoolExecutor, type PoolOptions } from "@platoon/executor-thread";
import { ProcessTransport, type ProcessTransportOptions } from "./process-transport.ts";

export interface ProcessExecutorOptions
  extends PoolOptions,
    Omit<ProcessTransportOptions, "maxMemoryMb" | "memoryCheckIntervalMs"> {}

/**
 * Runs tasks in a pool of supervised child processes that talk to the pool over a
 * dedicated pipe (fd 3), in length-prefixed frames. A task's crash, leak or hang takes
 * down only its own process, which is replaced.
 */
export class ProcessExecutor extends PoolExecutor {
  constructor(options: ProcessExecutorOptions = {}) {
    super(
      new ProcessTransport({
        ...options,
        ...(options.maxMemoryMb === undefined ? {} : { maxMemoryMb: options.maxMemoryMb }),
      }),
      options,
      availableParallelism(),
    );
  }
}

export function createProcessExecutor(options?: ProcessExecutorOptions): ProcessExecutor {
  return new ProcessExecutor(options);
}
