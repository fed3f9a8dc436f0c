#!/usr/bin/env node
// Runs the built CLI (dist/main.js) when it exists; otherwise, in the monorepo, the
// TypeScript sources through tsx with the "source" export condition. PLATOON_CLI_SOURCE=1
// forces the sources.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

const dist = new URL("../dist/main.js", import.meta.url);
if (existsSync(fileURLToPath(dist)) && !process.env.PLATOON_CLI_SOURCE) {
  const { main } = await import(dist.href);
  await main(process.argv.slice(2));
} else {
  let tsx;
  try {
    tsx = import.meta.resolve("tsx");
  } catch {
    console.error(
      "platoon: dist/ is not built and tsx is not installed (npm run build -w @platoon/cli)",
    );
    process.exit(1);
  }
  const src = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", tsx, src, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("exit", (code, signal) => {
    process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
  });
}
