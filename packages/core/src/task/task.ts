import type { BackoffSpec } from "../contracts/broker.ts";
import type { TaskContext } from "./context.ts";

/** A backoff as data (stored with the job) or a function (run where the task runs). */
export type Backoff = BackoffSpec | ((attempt: number, error: unknown) => number);

export interface TaskOptions {
  /** Total attempts including the first. Default 1 (no retries). */
  attempts?: number;
  backoff?: Backoff;
  /** Per attempt, in ms. */
  timeoutMs?: number;
  /** Default priority of this task's jobs; higher runs first. */
  priority?: number;
}

export const TASK_BRAND = Symbol.for("platoon.task");

export interface TaskDefinition<Name extends string = string, Input = any, Output = any> {
  readonly [TASK_BRAND]: true;
  readonly name: Name;
  readonly fn: (input: Input, ctx: TaskContext) => Output | Promise<Output>;
  readonly options: TaskOptions;
}

/**
 * Defines a task. Export it from a tasks module; a client typed with that module infers
 * each task's input and result from its name.
 */
export function task<const Name extends string, Input = void, Output = unknown>(
  name: Name,
  fn: (input: Input, ctx: TaskContext) => Output | Promise<Output>,
  options: TaskOptions = {},
): TaskDefinition<Name, Input, Awaited<Output>> {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError("task(name, fn): name must be a non-empty string");
  }
  if (typeof fn !== "function") {
    throw new TypeError(`task(${JSON.stringify(name)}, fn): fn must be a function`);
  }
  validateOptions(name, options);
  return Object.freeze({ [TASK_BRAND]: true as const, name, fn, options }) as TaskDefinition<
    Name,
    Input,
    Awaited<Output>
  >;
}

export function isTask(value: unknown): value is TaskDefinition {
  return typeof value === "object" && value !== null && (value as any)[TASK_BRAND] === true;
}

function validateOptions(name: string, options: TaskOptions): void {
  const where = `task(${JSON.stringify(name)})`;
  if (
    options.attempts !== undefined &&
    !(Number.isInteger(options.attempts) && options.attempts >= 1)
  ) {
    throw new TypeError(`${where}: attempts must be an integer >= 1, got ${options.attempts}`);
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    throw new TypeError(`${where}: timeoutMs must be > 0, got ${options.timeoutMs}`);
  }
  const b = options.backoff;
  if (b !== undefined && typeof b !== "function") {
    if ((b.type !== "fixed" && b.type !== "exponential") || !(b.delayMs >= 0)) {
      throw new TypeError(
        `${where}: backoff must be { type: "fixed" | "exponential", delayMs >= 0 } or a function (attempt, error) => ms`,
      );
    }
  }
}

// Type plumbing: from `typeof import("./tasks")` to a map of task name -> definition.
type TaskExports<M> = { [K in keyof M]: M[K] extends TaskDefinition ? M[K] : never }[keyof M];
export type TaskMapOf<M> = {
  [D in TaskExports<M> as D["name"]]: D;
};
export type TaskNames<M> = keyof TaskMapOf<M> & string;
export type TaskInput<M, N extends TaskNames<M>> =
  TaskMapOf<M>[N] extends TaskDefinition<any, infer I, any> ? I : never;
export type TaskOutput<M, N extends TaskNames<M>> =
  TaskMapOf<M>[N] extends TaskDefinition<any, any, infer O> ? O : never;
