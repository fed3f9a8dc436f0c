import type { AdapterFactory } from "@platoon/core";
import { deflate, type FflateOptions, gzip, zlib } from "./fflate-compressors.ts";

export { adler32, crc32 } from "./checksums.ts";
export {
  DEFAULT_LEVEL,
  DEFAULT_MAX_OUTPUT_BYTES,
  deflate,
  type FflateCompressor,
  type FflateFormat,
  type FflateOptions,
  gzip,
  zlib,
} from "./fflate-compressors.ts";

const options = (o?: Record<string, unknown>): FflateOptions => (o ?? {}) as FflateOptions;

/** Found by @platoon/core's registry when config names "gzip", "deflate" or "zlib". */
export const platoonAdapters: AdapterFactory[] = [
  { kind: "compressor", name: "gzip", create: (o) => gzip(options(o)) },
  { kind: "compressor", name: "deflate", create: (o) => deflate(options(o)) },
  { kind: "compressor", name: "zlib", create: (o) => zlib(options(o)) },
];
