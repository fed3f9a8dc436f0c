/** The platoon command's exit codes. */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The command ran and failed (a task failed, a worker refused, an unexpected error). */
  FAILURE: 1,
  /** Bad arguments or configuration. */
  USAGE: 2,
  /** The broker cannot be reached. */
  BROKER_UNREACHABLE: 3,
  /** What was named does not exist (a schedule, a worker, a dead letter). */
  NOT_FOUND: 4,
  /** Gave up waiting (a result, a worker's reply). */
  TIMEOUT: 5,
} as const;

/** An error that ends the command with a given exit code and message. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const usage = (message: string): CliError => new CliError(EXIT.USAGE, message);
