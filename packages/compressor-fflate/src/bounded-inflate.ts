import { CodecError } from "@platoon/core";
import { Inflate, inflateSync } from "fflate";

/** Deflate cannot expand data by more than this (258-byte matches from 2-bit codes). */
const MAX_DEFLATE_RATIO = 1032;
/** Compressed bytes fed per step on the guarded path: bounds the overshoot past the limit. */
const STEP = 16 * 1024;

/**
 * Raw inflate that refuses to produce more than `maxOutputBytes`, so a small
 * "decompression bomb" cannot exhaust memory. Inputs too small to reach the limit even
 * at deflate's maximum ratio take the one-shot fast path.
 */
export function inflateBounded(data: Uint8Array, maxOutputBytes: number, what: string): Uint8Array {
  if (data.length * MAX_DEFLATE_RATIO <= maxOutputBytes) return inflateSync(data);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > maxOutputBytes) throw tooLarge(what, maxOutputBytes);
    chunks.push(chunk);
  });
  for (let at = 0; at < data.length; at += STEP) {
    inflater.push(data.subarray(at, at + STEP), at + STEP >= data.length);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export function tooLarge(what: string, maxOutputBytes: number): CodecError {
  return new CodecError(
    `${what} payload inflates past maxOutputBytes (${maxOutputBytes}): refusing it as a possible decompression bomb; raise maxOutputBytes if it is genuine`,
  );
}
