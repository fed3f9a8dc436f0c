import type { TaskInput, TaskNames, TaskOutput } from "../task/task.ts";

/** With a tasks module type, names/inputs/outputs are checked; without one, anything goes. */
export type NameOf<M> = unknown extends M ? string : TaskNames<M>;
export type InputOf<M, N extends string> = unknown extends M
  ? unknown
  : N extends TaskNames<M>
    ? TaskInput<M, N>
    : never;
export type OutputOf<M, N extends string> = unknown extends M
  ? unknown
  : N extends TaskNames<M>
    ? TaskOutput<M, N>
    : never;
