/**
 * What crosses a thread's port: the message as a JSON string plus its blob, transferred.
 * Structured clone walks the job tuples element by element; one JSON string per batch is
 * cheaper to clone and to parse (measured ~2x on 100k tiny jobs).
 */
export interface PortMessage {
  json: string;
  blob?: Uint8Array;
}

export function toPort(message: object): [PortMessage, ArrayBuffer[]] {
  const { blob, ...rest } = message as { blob?: Uint8Array };
  const json = JSON.stringify(rest);
  return blob ? [{ json, blob }, [blob.buffer as ArrayBuffer]] : [{ json }, []];
}

export function fromPort<T>(data: PortMessage): T {
  const message = JSON.parse(data.json);
  if (data.blob) message.blob = data.blob;
  return message as T;
}
