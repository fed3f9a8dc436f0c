export { type AttachControlOptions, attachControl, type ControlHandle } from "./attach.ts";
export {
  Controller,
  type ControllerOptions,
  createController,
  type RequestOptions,
} from "./controller.ts";
export {
  CONTROL_CHANNEL,
  type ControlCommand,
  type ControlReply,
  type ControlRequest,
  pausedQueueLock,
  replyChannel,
} from "./protocol.ts";
