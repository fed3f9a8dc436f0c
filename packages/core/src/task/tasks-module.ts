import type { TaskManifest, TasksModule } from "../contracts/executor.ts";
import { ConfigError } from "../errors.ts";
import { isTask, type TaskDefinition } from "./task.ts";

/** Imports the tasks module when given a specifier, then finds its tasks. */
export async function loadTasks(
  tasksModule: string | URL | TasksModule,
): Promise<Map<string, TaskDefinition>> {
  const mod =
    typeof tasksModule === "string" || tasksModule instanceof URL
      ? ((await import(String(tasksModule))) as Record<string, unknown>)
      : tasksModule;
  return collectTasks(mod, typeof tasksModule === "string" ? tasksModule : "tasks module");
}

/** Finds every task a module exports (also in a default-exported object). */
export function collectTasks(
  mod: TasksModule,
  where = "tasks module",
): Map<string, TaskDefinition> {
  const found = new Map<string, TaskDefinition>();
  const visit = (value: unknown) => {
    if (!isTask(value)) return;
    const existing = found.get(value.name);
    if (existing && existing !== value) {
      throw new ConfigError(
        `${where} defines the task ${JSON.stringify(value.name)} twice: task names must be unique`,
      );
    }
    found.set(value.name, value);
  };
  for (const value of Object.values(mod)) {
    visit(value);
    if (value && typeof value === "object" && !isTask(value) && value === mod.default) {
      for (const inner of Object.values(value)) visit(inner);
    }
  }
  if (found.size === 0) {
    throw new ConfigError(
      `${where} exports no tasks: export the values returned by task(name, fn)`,
    );
  }
  return found;
}

export function manifestOf(tasks: Map<string, TaskDefinition>): TaskManifest {
  const manifest: TaskManifest = {};
  for (const [name, def] of tasks) {
    const { attempts, backoff, timeoutMs, priority } = def.options;
    manifest[name] = {
      name,
      ...(attempts === undefined ? {} : { attempts }),
      ...(backoff === undefined
        ? {}
        : { backoff: typeof backoff === "function" ? "custom" : backoff }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(priority === undefined ? {} : { priority }),
    };
  }
  return manifest;
}
