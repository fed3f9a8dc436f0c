import { Buffer } from "node:buffer";

/**
 * Length-prefixed frames for the pool's pipe: [u32 body length][u8 has blob][u32 JSON
 * length][JSON][blob]. The JSON carries a message minus its `blob`; the blob rides
 * behind it raw, so payloads are never base64'd or JSON-escaped.
 */
export function encodeFrame(message: object): Buffer {
  const { blob, ...rest } = message as { blob?: Uint8Array };
  const json = JSON.stringify(rest);
  const jsonLength = Buffer.byteLength(json);
  const blobLength = blob?.length ?? 0;
  const frame = Buffer.allocUnsafe(4 + 1 + 4 + jsonLength + blobLength);
  frame.writeUInt32LE(1 + 4 + jsonLength + blobLength, 0);
  frame[4] = blob ? 1 : 0;
  frame.writeUInt32LE(jsonLength, 5);
  frame.write(json, 9, "utf8");
  if (blob) frame.set(blob, 9 + jsonLength);
  return frame;
}

/** Reassembles frames from a byte stream, however the stream splits them. */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes the frame at the head needs (prefix included), once its prefix is known. */
  #need = -1;

  push(chunk: Buffer, onMessage: (message: any) => void): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) return;
        this.#need = 4 + this.#head(4).readUInt32LE(0);
      }
      if (this.#buffered < this.#need) return;
      const frame = this.#take(this.#need);
      this.#need = -1;
      onMessage(decode(frame));
    }
  }

  /** The first n buffered bytes, as one contiguous buffer (merging chunks if needed). */
  #head(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(n: number): Buffer {
    const first = this.#head(n);
    this.#buffered -= n;
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    return first.subarray(0, n);
  }
}

function decode(frame: Buffer): any {
  const hasBlob = frame[4] === 1;
  const jsonLength = frame.readUInt32LE(5);
  const message = JSON.parse(frame.toString("utf8", 9, 9 + jsonLength));
  if (hasBlob) {
    // A plain Uint8Array view: payloads are never Buffers past this point.
    message.blob = new Uint8Array(
      frame.buffer,
      frame.byteOffset + 9 + jsonLength,
      frame.length - 9 - jsonLength,
    );
  }
  return message;
}
