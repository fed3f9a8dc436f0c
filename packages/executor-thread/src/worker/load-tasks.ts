import {
  type Codec,
  collectTasks,
  createCodec,
  manifestOf,
  type TaskDefinition,
  type TaskManifest,
} from "@platoon/core";
import { isTypeScript, runtime } from "../runtime.ts";
import type { InitMessage } from "../wire.ts";

export interface LoadedTasks {
  tasks: Map<string, TaskDefinition>;
  codec: Codec;
  manifest: TaskManifest;
}

let tsxRegistered = false;

async function importModule(specifier: string, tsxApi: string | undefined) {
  if (tsxApi && !tsxRegistered && runtime === "node" && isTypeScript(specifier)) {
    const api = (await import(tsxApi)) as { register: () => unknown };
    api.register();
    tsxRegistered = true;
  }
  return (await import(specifier)) as Record<string, unknown>;
}

/** Imports the tasks module once per worker, rebuilds the codec, runs the init hook. */
export async function loadTasks(init: InitMessage): Promise<LoadedTasks> {
  const mod = await importModule(init.tasksModule, init.tsxApi);
  const tasks = collectTasks(mod, init.tasksModule);
  const codec = await createCodec(init.codecSpec);
  if (init.init) {
    const hookModule = init.init.module ? await importModule(init.init.module, init.tsxApi) : mod;
    const name = init.init.export ?? "init";
    const hook = hookModule[name];
    if (typeof hook !== "function") {
      throw new TypeError(
        `init hook: ${init.init.module ?? init.tasksModule} has no function export named ${JSON.stringify(name)}`,
      );
    }
    await hook(init.init.data, { workerId: init.workerId });
  }
  return { tasks, codec, manifest: manifestOf(tasks) };
}
