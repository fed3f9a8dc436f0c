export { type TestApi, type TestFn, waitFor } from "./api.ts";
export { type BrokerSuiteOptions, brokerSuite } from "./broker-suite.ts";
export { type CompressorSuiteOptions, compressorSuite } from "./compressor-suite.ts";
export {
  decodedOutcome,
  executorFixtureTasks,
  faultOf,
  startExecutor,
  sumWorkerStats,
  tsFixtureTasks,
} from "./executor-helpers.ts";
export { type ExecutorSuiteOptions, executorSuite } from "./executor-suite.ts";
export { type SerializerSuiteOptions, serializerSuite } from "./serializer-suite.ts";
