/** A codec named in plain data: what config files, env vars and worker threads carry. */
export interface CompressorSpecObject {
  name: string;
  level?: number;
  /** Payloads smaller than this many bytes are not compressed. */
  threshold?: number;
}

export type SerializerSpec = string;
export type CompressorSpec = string | CompressorSpecObject;

export interface CodecSpec {
  serializer?: SerializerSpec;
  compressor?: CompressorSpec;
  /** Largest encoded payload accepted at enqueue, in bytes. Default 16 MiB. */
  maxPayloadBytes?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
export const DEFAULT_COMPRESSION_THRESHOLD = 1024;
