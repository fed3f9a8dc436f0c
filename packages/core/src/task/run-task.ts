import type { Codec } from "../codec/codec.ts";
import type { ChildJobOptions, ExecuteOutcome, ExecuteRequest } from "../contracts/executor.ts";
import { CodecError, toErrorInfo } from "../errors.ts";
import { isTaskActionSignal, type TaskActionSignal } from "./actions.ts";
import { ActionContext, type TaskContext } from "./context.ts";
import type { TaskDefinition } from "./task.ts";

type Enqueue = NonNullable<ExecuteRequest["enqueue"]>;
type Request = Omit<ExecuteRequest, "signal" | "enqueue">;
/** Receives an attempt's outcome. */
export type OutcomeCallback = (outcome: ExecuteOutcome) => void;

/** The result of a job whose broker keeps none: nothing is encoded. */
const NO_RESULT = new Uint8Array(0);

/**
 * Runs one task where it lives: decode the payload, call the function with its context,
 * encode the result. Every ending is an outcome; nothing here throws. Shared by the
 * inline executor and by the code inside thread and process workers.
 */
export function runTask(
  tasks: Map<string, TaskDefinition>,
  codec: Codec,
  request: Request,
  signal?: AbortSignal,
  enqueue?: Enqueue,
): ExecuteOutcome | Promise<ExecuteOutcome> {
  let resolve!: OutcomeCallback;
  const now = startTask(tasks, codec, request, signal, enqueue, (o) => resolve(o));
  if (now !== undefined) return now;
  return new Promise<ExecuteOutcome>((r) => {
    resolve = r;
  });
}

/**
 * runTask with a callback, for the inline executor's hot path: one promise reaction per
 * async task instead of a chain of promises. Returns the outcome when it is known at once
 * (no step was asynchronous); otherwise returns undefined and calls `done` once, later,
 * always from a promise reaction (never before this returns).
 */
export function startTask(
  tasks: Map<string, TaskDefinition>,
  codec: Codec,
  request: Request,
  signal: AbortSignal | undefined,
  enqueue: Enqueue | undefined,
  done: OutcomeCallback,
): ExecuteOutcome | undefined {
  const def = tasks.get(request.task);
  if (!def) {
    return {
      status: "error",
      error: {
        name: "UnknownTask",
        message: `no task named ${JSON.stringify(request.task)} in the tasks module (known: ${[...tasks.keys()].join(", ")})`,
        fault: "UnknownTask",
        retryable: false,
      },
    };
  }
  let input: unknown;
  try {
    input = codec.decode(request.payload);
  } catch (error) {
    return undecodable(error);
  }
  if (input instanceof Promise) {
    input.then(
      (value) => {
        const out = call(def, codec, request, value, signal, enqueue, done);
        if (out !== undefined) done(out);
      },
      (error) => done(undecodable(error)),
    );
    return undefined;
  }
  return call(def, codec, request, input, signal, enqueue, done);
}

function call(
  def: TaskDefinition,
  codec: Codec,
  request: Request,
  input: unknown,
  signal: AbortSignal | undefined,
  enqueue: Enqueue | undefined,
  done: OutcomeCallback,
): ExecuteOutcome | undefined {
  const ctx = new Context(request, codec, signal, enqueue);
  let value: unknown;
  try {
    value = def.fn(input, ctx);
  } catch (error) {
    return failed(def, request.attempt, error);
  }
  if (value instanceof Promise) {
    value.then(
      (v) => {
        const out = encoded(codec, request, v);
        if (out instanceof Promise) out.then(done);
        else done(out);
      },
      (error) => done(failed(def, request.attempt, error)),
    );
    return undefined;
  }
  const out = encoded(codec, request, value);
  if (!(out instanceof Promise)) return out;
  out.then(done);
  return undefined;
}

/** Never rejects: an encoding failure is an outcome. */
function encoded(
  codec: Codec,
  request: Request,
  value: unknown,
): ExecuteOutcome | Promise<ExecuteOutcome> {
  // Nobody will read it, so a value that cannot be encoded is no failure either.
  if (request.discardResult) return { status: "ok", result: NO_RESULT };
  try {
    const bytes = codec.encode(value);
    if (bytes instanceof Promise) {
      return bytes.then(
        (result): ExecuteOutcome => ({ status: "ok", result }),
        (error) => unencodable(error),
      );
    }
    return { status: "ok", result: bytes };
  } catch (error) {
    return unencodable(error);
  }
}

/** What a thrown error means for the attempt: an action, or a failure with its retry delay. */
export function failed(def: TaskDefinition, attempt: number, error: unknown): ExecuteOutcome {
  if (isTaskActionSignal(error))
    return { status: "action", action: (error as TaskActionSignal).action };
  const outcome: ExecuteOutcome = { status: "error", error: toErrorInfo(error) };
  const backoff = def.options.backoff;
  if (typeof backoff === "function") {
    try {
      outcome.retryDelayMs = Math.max(0, Number(backoff(attempt, error)) || 0);
    } catch {
      // A broken backoff function must not turn a task failure into a crash.
    }
  }
  return outcome;
}

function undecodable(error: unknown): ExecuteOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: "error",
    error: {
      name: "CodecError",
      message,
      fault: "UndecodablePayload",
      retryable: false,
      code: "CODEC",
    },
  };
}

function unencodable(error: unknown): ExecuteOutcome {
  const info = toErrorInfo(
    error instanceof CodecError
      ? error
      : new CodecError(`task result cannot be encoded: ${(error as Error)?.message}`, {
          cause: error,
        }),
  );
  return { status: "error", error: { ...info, retryable: false } };
}

/** Built for every job, so it only keeps references; fields are read on demand. */
class Context extends ActionContext implements TaskContext {
  readonly #request: Request;
  #signal: AbortSignal | undefined;
  readonly #codec: Codec;
  readonly #enqueue: Enqueue | undefined;

  constructor(
    request: Request,
    codec: Codec,
    signal: AbortSignal | undefined,
    enqueue: Enqueue | undefined,
  ) {
    super();
    this.#request = request;
    this.#codec = codec;
    this.#signal = signal;
    this.#enqueue = enqueue;
  }

  get jobId(): string {
    return this.#request.jobId;
  }
  get queue(): string {
    return this.#request.queue;
  }
  get attempt(): number {
    return this.#request.attempt;
  }
  get maxAttempts(): number {
    return this.#request.maxAttempts;
  }
  get traceId(): string {
    return this.#request.traceId ?? this.#request.jobId;
  }
  get deadline(): number | undefined {
    return this.#request.deadline;
  }

  /** The executor's signal, or (made on first use) one that never aborts. */
  get signal(): AbortSignal {
    this.#signal ??= new AbortController().signal;
    return this.#signal;
  }

  async enqueue(task: string, input: unknown, options?: ChildJobOptions): Promise<string> {
    if (!this.#enqueue) {
      throw new Error("this executor does not let tasks enqueue jobs");
    }
    return this.#enqueue(task, await this.#codec.encode(input), {
      ...options,
      traceId: this.traceId,
    });
  }
}
