import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Turns the tasks module option into something a worker can import: file paths become
 * absolute file URLs (a relative path means relative to the current directory, not to
 * the worker's entry file); URLs and bare package names pass through.
 */
export function toImportSpecifier(tasksModule: string | URL): string {
  if (tasksModule instanceof URL) return tasksModule.href;
  if (/^[a-zA-Z][a-zA-Z\d+.-]+:/.test(tasksModule) && !isAbsolute(tasksModule)) return tasksModule;
  if (tasksModule.startsWith(".") || isAbsolute(tasksModule)) {
    return pathToFileURL(resolve(tasksModule)).href;
  }
  return tasksModule;
}
