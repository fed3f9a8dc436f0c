import type { TaskAction } from "../contracts/executor.ts";

/** Thrown by ctx.retry() and friends; executors turn it into an "action" outcome. */
export class TaskActionSignal extends Error {
  readonly action: TaskAction;
  constructor(action: TaskAction) {
    super(`task asked to ${action.type}`);
    this.name = "TaskActionSignal";
    this.action = action;
  }
}

export function isTaskActionSignal(error: unknown): error is TaskActionSignal {
  return (
    error instanceof TaskActionSignal || (error as { name?: unknown })?.name === "TaskActionSignal"
  );
}
