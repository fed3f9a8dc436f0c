import { type Executor, InlineExecutor } from "@platoon/core";
import { ProcessExecutor } from "@platoon/executor-process";
import { ThreadExecutor } from "@platoon/executor-thread";

export type ExecutorKind = "process" | "thread" | "inline";
export const EXECUTOR_KINDS: ExecutorKind[] = ["process", "thread", "inline"];

/** Workers are killed past this much memory; the leak demo passes it on purpose. */
export const MEMORY_LIMIT_MB = 256;

export function makeExecutor(kind: ExecutorKind, workers: number): Executor {
  switch (kind) {
    case "process":
      return new ProcessExecutor({ size: workers, maxMemoryMb: MEMORY_LIMIT_MB });
    case "thread":
      return new ThreadExecutor({ size: workers, maxMemoryMb: MEMORY_LIMIT_MB });
    case "inline":
      return new InlineExecutor({ capacity: workers });
  }
}
