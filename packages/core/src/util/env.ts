/**
 * Reads an environment variable on any runtime without importing node: modules.
 * Under Deno without --allow-env, it reads as unset rather than throwing.
 */
export function readEnv(name: string): string | undefined {
  const g = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    if (g.Deno) return g.Deno.env.get(name) || undefined;
    return g.process?.env?.[name] || undefined;
  } catch {
    return undefined;
  }
}
