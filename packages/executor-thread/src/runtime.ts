/** Which JavaScript runtime this is: decides how workers are started and TS is loaded. */
export type RuntimeName = "node" | "deno" | "bun";

export const runtime: RuntimeName =
  "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

const TS_EXTENSION = /\.(c|m)?tsx?($|\?)/;

/** True for .ts/.mts/.cts/.tsx specifiers, which Node 20 cannot import on its own. */
export function isTypeScript(specifier: string): boolean {
  return TS_EXTENSION.test(specifier);
}
