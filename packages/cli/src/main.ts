import { fileURLToPath } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { PlatoonError } from "@platoon/core";
import { pauseResumeCommand, pingCommand, stopCommand } from "./commands/control.ts";
import { deadCommand, enqueueCommand, purgeCommand } from "./commands/jobs.ts";
import { scheduleCommand } from "./commands/schedule.ts";
import { statusCommand } from "./commands/status.ts";
import { workerCommand } from "./commands/worker.ts";
import { loadConfig, resolveOptions } from "./config.ts";
import type { Context } from "./context.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { stdoutOut } from "./output.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

const GLOBAL: Options = {
  broker: { type: "string", short: "b" },
  queue: { type: "string", short: "q" },
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "reply-timeout-ms": { type: "string" },
};

interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: string;
  run(ctx: Context): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  worker: {
    summary: "run a supervised worker (restarted with backoff if it dies)",
    usage: "platoon worker <tasks module> [options]",
    options: {
      executor: { type: "string", short: "e" },
      concurrency: { type: "string" },
      "max-memory-mb": { type: "string" },
      "timeout-ms": { type: "string" },
      "heartbeat-ms": { type: "string" },
      "no-scheduler": { type: "boolean" },
      tasks: { type: "string" },
      child: { type: "boolean" },
      id: { type: "string" },
    },
    help: `  -e, --executor thread|process|inline   where tasks run (default thread)
      --concurrency <n>                  jobs at once (default: the executor's capacity)
      --max-memory-mb <n>                recycle a thread/process worker above this
      --timeout-ms <n>                   default task timeout
      --heartbeat-ms <n>                 registry heartbeat (default 2000)
      --no-scheduler                     do not fire schedules from this process
The worker runs in a child process; the supervisor restarts it with backoff (250 ms
doubling to 10 s) when it dies, and fires due schedules (any number of supervisors may).`,
    run: workerCommand,
  },
  enqueue: {
    summary: "enqueue a job",
    usage: "platoon enqueue <task> [json input] [options]",
    options: {
      count: { type: "string", short: "n" },
      wait: { type: "boolean", short: "w" },
      "wait-ms": { type: "string" },
      priority: { type: "string" },
      "delay-ms": { type: "string" },
      attempts: { type: "string" },
      id: { type: "string" },
    },
    help: `  -n, --count <n>      enqueue n copies (progress bar on a terminal)
  -w, --wait           wait for the result(s) and print them
      --wait-ms <n>    wait at most n ms (exit 5 on timeout)
      --priority <n>  --delay-ms <n>  --attempts <n>  --id <job id>`,
    run: enqueueCommand,
  },
  status: {
    summary: "queues, workers and rates",
    usage: "platoon status [--watch] [--json]",
    options: { watch: { type: "boolean", short: "w" }, "interval-ms": { type: "string" } },
    help: `  -w, --watch           refresh every --interval-ms (default 2000) until Ctrl-C`,
    run: statusCommand,
  },
  dead: {
    summary: "dead letters: list, retry, purge",
    usage: "platoon dead list|retry|purge [ids...] [--queue q]",
    options: { limit: { type: "string" } },
    help: `  list [--limit n]     show dead letters (default 100)
  retry [ids...]       move them (all when no ids) back to waiting
  purge [ids...]       delete them (all when no ids)`,
    run: deadCommand,
  },
  schedule: {
    summary: "schedules: list, add, rm, pause, resume",
    usage: "platoon schedule list|add|rm|pause|resume ...",
    options: {
      id: { type: "string" },
      cron: { type: "string" },
      every: { type: "string" },
      at: { type: "string" },
      tz: { type: "string" },
      iterations: { type: "string" },
      "start-at": { type: "string" },
      "end-at": { type: "string" },
      "catch-up": { type: "string" },
      "no-overlap": { type: "boolean" },
      "run-now": { type: "boolean" },
    },
    help: `  list                                   all schedules, by next run
  add <task> [json] --every 10s | --cron "*/5 * * * * *" | --at <ISO date>
      [--id id] [--tz Europe/Paris] [--iterations n] [--start-at d] [--end-at d]
      [--catch-up n] [--no-overlap] [--run-now]
  rm|pause|resume <id...>`,
    run: scheduleCommand,
  },
  pause: {
    summary: "pause a queue on every worker (and workers started later)",
    usage: "platoon pause <queue>",
    options: {},
    help: "",
    run: (ctx) => pauseResumeCommand(ctx, "pause"),
  },
  resume: {
    summary: "resume a paused queue",
    usage: "platoon resume <queue>",
    options: {},
    help: "",
    run: (ctx) => pauseResumeCommand(ctx, "resume"),
  },
  stop: {
    summary: "stop a worker or all (graceful by default)",
    usage: "platoon stop <worker id|all> [--kill] [--no-graceful]",
    options: { kill: { type: "boolean" }, "no-graceful": { type: "boolean" } },
    help: `      --no-graceful    abort running jobs (they are handed back)
      --kill           stop at once and exit the worker process`,
    run: stopCommand,
  },
  ping: {
    summary: "round trip to workers",
    usage: "platoon ping [worker id|all]",
    options: {},
    help: "",
    run: pingCommand,
  },
  purge: {
    summary: "remove waiting and delayed jobs of a queue",
    usage: "platoon purge --queue <queue>",
    options: {},
    help: "",
    run: purgeCommand,
  },
};

const GLOBAL_HELP = `Options for every command:
  -b, --broker <url>         redis://host:port (env PLATOON_BROKER; default redis://127.0.0.1:6379)
  -q, --queue <name>         queue (env PLATOON_QUEUE; default "default")
  -c, --config <file>        config file (default platoon.config.{ts,mts,mjs,js,json} in the cwd)
      --json                 machine-readable output
      --reply-timeout-ms <n> how long to wait for workers' replies (default 3000)
  -h, --help

Exit codes: 0 ok, 1 failure, 2 usage error, 3 broker unreachable, 4 not found, 5 timeout.`;

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `platoon — the Platoon task queue command

Usage: platoon <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join("\n")}

${GLOBAL_HELP}

Run "platoon <command> --help" for a command's options.`;
}

function commandHelp(name: string, c: Command): string {
  return `${c.usage}\n\n${c.summary}\n${c.help ? `\n${c.help}\n` : ""}\n${GLOBAL_HELP}`;
}

/** Runs the CLI; resolves to the exit code. */
export async function run(argv: string[], cwd = process.cwd()): Promise<number> {
  const out = stdoutOut(argv.includes("--json"));
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    out.write(mainHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === "--version" || name === "-v") {
    out.write("0.0.0");
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    out.error(`platoon: unknown command "${name}"\n\n${mainHelp()}`);
    return EXIT.USAGE;
  }
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new CliError(EXIT.USAGE, `${(error as Error).message}\nusage: ${command.usage}`);
    }
    if (parsed.values.help) {
      out.write(commandHelp(name, command));
      return EXIT.OK;
    }
    const flags = parsed.values as Context["flags"];
    const loaded = await loadConfig(cwd, flags.config as string | undefined);
    const ctx: Context = {
      argv: [name, ...rest],
      flags,
      positionals: parsed.positionals,
      options: resolveOptions(flags, loaded, cwd),
      out,
      cwd,
      entry: fileURLToPath(import.meta.url),
    };
    return await command.run(ctx);
  } catch (error) {
    if (error instanceof CliError) {
      out.error(`platoon: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof PlatoonError && error.code === "BROKER") {
      out.error(`platoon: ${error.message}`);
      return EXIT.BROKER_UNREACHABLE;
    }
    if (error instanceof PlatoonError && error.code === "CONFIG") {
      out.error(`platoon: ${error.message}`);
      return EXIT.USAGE;
    }
    out.error(`platoon: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT.FAILURE;
  }
}

/** The bin's entry: runs and exits with the code. */
export async function main(argv: string[]): Promise<void> {
  const code = await run(argv);
  process.exitCode = code;
  // Lingering handles (a broker's reconnect timer) must not keep a finished command alive.
  if (argv[0] !== "worker" || code !== 0) setTimeout(() => process.exit(code), 50).unref();
  else process.exit(code);
}

const invoked = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) void main(process.argv.slice(2));
