import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * @platoon/core must run unchanged on Node, Deno, Bun and in browsers: web-standard APIs
 * only. This scans its sources for Node-only imports and globals.
 */
const SRC = new URL("../src/", import.meta.url).pathname;
const FORBIDDEN: [RegExp, string][] = [
  [/\bfrom\s+["']node:/, "a node: import"],
  [/\bimport\s*\(\s*["']node:/, "a dynamic node: import"],
  [
    /\bfrom\s+["'](fs|path|os|child_process|worker_threads|events|buffer|util|crypto|net|stream)["']/,
    "a Node built-in import",
  ],
  [/\brequire\s*\(/, "require()"],
  [/(?<![.\w])process\s*\./, "the process global"],
  [/(?<![.\w])Buffer\b/, "Buffer"],
  [/\b__dirname\b|\b__filename\b/, "__dirname/__filename"],
  [/(?<![.\w])global\s*\./, "the global object (use globalThis)"],
  [/\bsetImmediate\b/, "setImmediate"],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

describe("@platoon/core is runtime-neutral", () => {
  const sources = files(SRC);

  it("has sources to scan", () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it("uses no Node-only modules or globals", () => {
    const found: string[] = [];
    for (const file of sources) {
      const code = withoutComments(readFileSync(file, "utf8"));
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(code)) found.push(`${relative(SRC, file)}: ${what}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("the scan itself catches offenders", () => {
    const bad = [
      'import { readFileSync } from "node:fs";',
      "const b = Buffer.from('x');",
      "process.exit(1);",
    ];
    for (const line of bad) expect(FORBIDDEN.some(([p]) => p.test(line))).toBe(true);
    expect(FORBIDDEN.some(([p]) => p.test("const e = globalThis.process?.env;"))).toBe(false);
  });
});
