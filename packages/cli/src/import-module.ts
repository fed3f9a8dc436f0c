import { pathToFileURL } from "node:url";

/**
 * Imports a module by path or URL. A TypeScript file that the runtime cannot load by
 * itself (Node 20 without a loader) goes through tsx's API when tsx is installed.
 */
export async function importModule(specifier: string): Promise<Record<string, unknown>> {
  const url = specifier.startsWith("file:") ? specifier : pathToFileURL(specifier).href;
  try {
    return await import(url);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!/\.[mc]?tsx?$/.test(url) || code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
    let api: { tsImport(url: string, parent: string): Promise<Record<string, unknown>> };
    try {
      // A variable specifier: tsx is optional and must not be bundled.
      const tsxApi = "tsx/esm/api";
      api = await import(tsxApi);
    } catch {
      throw new Error(
        `cannot load ${url}: this Node cannot import TypeScript; install tsx, or use a .js/.json file`,
      );
    }
    return api.tsImport(url, import.meta.url);
  }
}
