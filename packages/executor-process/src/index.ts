export { encodeFrame, FrameDecoder } from "./frames.ts";
export {
  createProcessExecutor,
  ProcessExecutor,
  type ProcessExecutorOptions,
} from "./process-executor.ts";
