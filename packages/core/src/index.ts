export { Client, type ClientOptions, createClient } from "./client/client.ts";
export type { EnqueueOptions, ResultOptions } from "./client/enqueue-options.ts";
export { JobHandle } from "./client/job-handle.ts";
export type { InputOf, NameOf, OutputOf } from "./client/typing.ts";
export {
  Codec,
  type CodecConfig,
  type CodecOptions,
  createCodec,
  parseCompressorEnv,
} from "./codec/codec.ts";
export {
  type CodecSpec,
  type CompressorSpec,
  type CompressorSpecObject,
  DEFAULT_COMPRESSION_THRESHOLD,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type SerializerSpec,
} from "./codec/codec-spec.ts";
export {
  buildHeader,
  FORMAT_VERSION,
  HEADER_MAGIC,
  type ParsedHeader,
  parseHeader,
} from "./codec/header.ts";
export { identityCompressor } from "./codec/identity-compressor.ts";
export { jsonSerializer } from "./codec/json-serializer.ts";
export {
  type AdapterFactory,
  type AdapterModule,
  AdapterRegistry,
  type CompressorFactory,
  defaultRegistry,
  KNOWN_ADAPTER_PACKAGES,
  type SerializerFactory,
} from "./codec/registry.ts";
export type * from "./contracts/broker.ts";
export type { Compressor, MaybePromise } from "./contracts/compressor.ts";
export type { ErrorInfo, FaultKind } from "./contracts/error-info.ts";
export type * from "./contracts/executor.ts";
export type { Serializer } from "./contracts/serializer.ts";
export * from "./control/index.ts";
export {
  CancelledError,
  CodecError,
  ConfigError,
  PermanentError,
  PlatoonError,
  type PlatoonErrorCode,
  RemoteError,
  TimeoutError,
  toErrorInfo,
} from "./errors.ts";
export {
  createInlineExecutor,
  InlineExecutor,
  type InlineExecutorOptions,
} from "./executor/inline-executor.ts";
export { MemoryBroker, type MemoryBrokerOptions } from "./memory-broker/memory-broker.ts";
export {
  createPool,
  type MapOptions,
  Pool,
  type PoolJobOptions,
  type PoolOptions,
} from "./pool/pool.ts";
export * from "./scheduler/index.ts";
export { isTaskActionSignal, TaskActionSignal } from "./task/actions.ts";
export { backoffDelay } from "./task/backoff.ts";
export type { TaskContext } from "./task/context.ts";
export { type OutcomeCallback, runTask, startTask } from "./task/run-task.ts";
export {
  type Backoff,
  isTask,
  TASK_BRAND,
  type TaskDefinition,
  type TaskInput,
  type TaskMapOf,
  type TaskNames,
  type TaskOptions,
  type TaskOutput,
  task,
} from "./task/task.ts";
export { collectTasks, manifestOf } from "./task/tasks-module.ts";
export { DurationRecorder } from "./util/duration-stats.ts";
export { readEnv } from "./util/env.ts";
export { newId } from "./util/ids.ts";
export { type Decision, decide, maxAttemptsOf } from "./worker/decide.ts";
export type { JobView, WorkerHooks } from "./worker/hooks.ts";
export type { WorkerMetrics } from "./worker/metrics.ts";
export { createWorker, Worker, type WorkerOptions } from "./worker/worker.ts";
