export { toImportSpecifier } from "./module-specifier.ts";
export { tsxApiUrl, tsxImportUrl } from "./node-typescript.ts";
// Building blocks shared with @platoon/executor-process (and any other pool of workers):
// the supervising pool, the worker-side loop and the messages between them.
export { PoolExecutor, type PoolInitExtras, type PoolOptions } from "./pool/pool-executor.ts";
export type { ExitInfo, Transport, WorkerEvents, WorkerHandle } from "./pool/transport.ts";
export { isTypeScript, type RuntimeName, runtime } from "./runtime.ts";
export {
  createThreadExecutor,
  ThreadExecutor,
  type ThreadExecutorOptions,
} from "./thread-executor.ts";
export type { FromWorker, InitMessage, MemoryReport, ToWorker } from "./wire.ts";
export type { WorkerChannel } from "./worker/channel.ts";
export { serveWorker } from "./worker/serve-worker.ts";
