import { CodecError, type Compressor, ConfigError } from "@platoon/core";
import { deflateSync, gunzipSync, gzipSync, zlibSync } from "fflate";
import { inflateBounded, tooLarge } from "./bounded-inflate.ts";
import { adler32, crc32, readU32BE, readU32LE } from "./checksums.ts";

export type FflateFormat = "gzip" | "deflate" | "zlib";

export interface FflateOptions {
  /** 0 (store) to 9 (smallest). Default 6. */
  level?: number;
  /**
   * Largest decompressed body accepted, in bytes. Default 256 MiB. Guards against a
   * small payload that inflates to gigabytes.
   */
  maxOutputBytes?: number;
}

/** A sync compressor: Codec stays on its fast path. `level` is read by Codec.spec(). */
export interface FflateCompressor extends Compressor {
  readonly id: FflateFormat;
  readonly level: Level;
  readonly maxOutputBytes: number;
  compress(bytes: Uint8Array): Uint8Array;
  decompress(bytes: Uint8Array): Uint8Array;
}

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export const DEFAULT_LEVEL = 6;
export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * gzip (RFC 1952). Detects corruption and truncation: the CRC-32 and length in its
 * trailer are verified on every decompress.
 */
export function gzip(options?: FflateOptions): FflateCompressor {
  const { level, maxOutputBytes } = settle("gzip", options);
  return {
    id: "gzip",
    level,
    maxOutputBytes,
    compress: (bytes) => run("gzip", "compress", () => gzipSync(bytes, { level })),
    decompress: (bytes) => run("gzip", "decompress", () => gunzipChecked(bytes, maxOutputBytes)),
  };
}

/**
 * zlib (RFC 1950). Detects corruption and truncation: the Adler-32 in its trailer is
 * verified on every decompress. Two bytes of header smaller than gzip's ten.
 */
export function zlib(options?: FflateOptions): FflateCompressor {
  const { level, maxOutputBytes } = settle("zlib", options);
  return {
    id: "zlib",
    level,
    maxOutputBytes,
    compress: (bytes) => run("zlib", "compress", () => zlibSync(bytes, { level })),
    decompress: (bytes) => run("zlib", "decompress", () => unzlibChecked(bytes, maxOutputBytes)),
  };
}

/**
 * Raw deflate (RFC 1951): the smallest framing, and no checksum. Truncation is detected
 * (the stream's final block never arrives), but a flipped bit can decode to different
 * bytes without any error: use gzip or zlib where integrity matters.
 */
export function deflate(options?: FflateOptions): FflateCompressor {
  const { level, maxOutputBytes } = settle("deflate", options);
  return {
    id: "deflate",
    level,
    maxOutputBytes,
    compress: (bytes) => run("deflate", "compress", () => deflateSync(bytes, { level })),
    decompress: (bytes) =>
      run("deflate", "decompress", () => {
        // fflate inflates zero bytes to zero bytes; a real stream is never empty.
        if (bytes.length === 0) throw corrupt("deflate", "payload is empty (truncated?)");
        return inflateBounded(bytes, maxOutputBytes, "deflate");
      }),
  };
}

function gunzipChecked(bytes: Uint8Array, maxOutputBytes: number): Uint8Array {
  // 10-byte header + at least 2 bytes of deflate + 8-byte trailer.
  if (bytes.length < 20) throw corrupt("gzip", "payload is too short to be gzip (truncated?)");
  const size = readU32LE(bytes, bytes.length - 4);
  if (size > maxOutputBytes) throw tooLarge("gzip", maxOutputBytes);
  // gunzipSync sizes its output from the trailer and never grows it, so memory is bounded
  // by the check above; a lying trailer shows up as a length or CRC mismatch below.
  const out = gunzipSync(bytes);
  if (out.length !== size) throw corrupt("gzip", "length does not match its trailer");
  if (crc32(out) !== readU32LE(bytes, bytes.length - 8)) {
    throw corrupt("gzip", "CRC-32 does not match its trailer");
  }
  return out;
}

function unzlibChecked(bytes: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (bytes.length < 7) throw corrupt("zlib", "payload is too short to be zlib (truncated?)");
  const cmf = bytes[0]!;
  const flg = bytes[1]!;
  if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) {
    throw corrupt("zlib", "invalid zlib header");
  }
  if (flg & 32)
    throw corrupt("zlib", "payload needs a preset dictionary, which Platoon never uses");
  const out = inflateBounded(bytes.subarray(2, -4), maxOutputBytes, "zlib");
  if (adler32(out) !== readU32BE(bytes, bytes.length - 4)) {
    throw corrupt("zlib", "Adler-32 does not match its trailer");
  }
  return out;
}

function run(id: FflateFormat, op: "compress" | "decompress", fn: () => Uint8Array): Uint8Array {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CodecError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw op === "compress"
      ? new CodecError(`${id} could not compress: ${message}`, { cause: error })
      : corrupt(id, message, error);
  }
}

function corrupt(id: FflateFormat, detail: string, cause?: unknown): CodecError {
  return new CodecError(`${id} payload is corrupt: ${detail}`, cause ? { cause } : undefined);
}

function settle(id: FflateFormat, options: FflateOptions | undefined) {
  const level = options?.level ?? DEFAULT_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new ConfigError(`${id} level must be an integer from 0 to 9, got ${String(level)}`);
  }
  const maxOutputBytes = options?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes <= 0) {
    throw new ConfigError(
      `${id} maxOutputBytes must be a positive integer, got ${String(maxOutputBytes)}`,
    );
  }
  return { level: level as Level, maxOutputBytes };
}
