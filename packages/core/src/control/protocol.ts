/** The channel every attached worker listens on. */
export const CONTROL_CHANNEL = "platoon:control";
/** Replies to request `id` come on this channel. */
export const replyChannel = (requestId: string): string => `platoon:reply:${requestId}`;
/** Lock whose presence marks a queue paused, so workers started later pause too. */
export const pausedQueueLock = (queue: string): string => `platoon:paused:${queue}`;

export type ControlCommand =
  | { cmd: "ping" }
  | { cmd: "status" }
  | { cmd: "pause"; queue?: string }
  | { cmd: "resume"; queue?: string }
  | { cmd: "concurrency"; concurrency: number }
  | { cmd: "stop"; graceful?: boolean; timeoutMs?: number }
  | { cmd: "kill" };

/** A request as published on CONTROL_CHANNEL. `target` is a worker id or "*". */
export type ControlRequest = ControlCommand & {
  v: 1;
  id: string;
  target: string;
  replyTo: string;
};

/** One worker's answer. */
export interface ControlReply<T = unknown> {
  requestId: string;
  workerId: string;
  ok: boolean;
  data?: T;
  error?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMessage(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeMessage<T>(bytes: Uint8Array): T | undefined {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch {
    return undefined;
  }
}
