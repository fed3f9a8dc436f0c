/**
 * Where a worker's entry file is, next to this module: the built `.js` in dist/, or the
 * `.ts` source when running from sources (tests, Deno, Bun). Lives at the root of src/ so
 * that both layouts resolve the same relative name.
 */
export function workerEntry(name: string): URL {
  const here = import.meta.url;
  const fromSource = /\.(c|m)?ts$/.test(new URL(here).pathname);
  return new URL(`./${name}.${fromSource ? "ts" : "js"}`, here);
}
