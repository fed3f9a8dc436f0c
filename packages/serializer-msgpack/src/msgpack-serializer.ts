import { CodecError, type Serializer } from "@platoon/core";
import { type Options, Packr, RESERVE_START_SPACE, REUSE_BUFFER_MODE, Unpackr } from "msgpackr";

export const MSGPACK_ID = "msgpack";

/** Accepted for factory compatibility; the wire format itself is not configurable. */
export type MsgpackSerializerOptions = Record<string, never>;

/**
 * The options are part of the wire format: every producer and consumer of the id
 * "msgpack" must agree on them, so they are fixed here rather than exposed.
 *
 * - Records (msgpackr's own structures) are on: a plain object is written as a record,
 *   which is what lets a Map be told from an object on decode. Record definitions are
 *   written inline in each payload (no shared `structures`, no saveStructures), so any
 *   process decodes any payload with nothing but its bytes. Measured on typical job
 *   payloads: ~40% slower than plain maps on a tiny object, but ~40% smaller and ~2x
 *   faster on arrays of same-shaped rows, where records pay.
 * - bundleStrings is off: it made every measured payload larger and slower.
 * - useBigIntExtension writes every BigInt with its sign and any number of bits, so
 *   5n comes back as 5n (not 5) and 2n ** 200n comes back whole.
 * - copyBuffers: decoded Uint8Arrays own their memory, so a task that mutates its input
 *   cannot corrupt the stored payload a retry will decode again.
 */
export const WIRE_OPTIONS: Readonly<Options> = {
  useRecords: true,
  mapsAsObjects: false,
  bundleStrings: false,
  useBigIntExtension: true,
  copyBuffers: true,
  // Sets and typed arrays other than Uint8Array need msgpackr's extension types; so does
  // keeping a Uint8Array's class (it is written as ext "t", 2 bytes more than bin).
  moreTypes: true,
  structuredClone: false,
  // msgpackr writes functions as undefined by default: a silent wrong value.
  writeFunction: () => {
    throw new CodecError("msgpack serializer cannot encode a function: pass data, not code");
  },
};

/**
 * msgpack through msgpackr. Round-trips Date, Map, Set, BigInt of any size, typed arrays,
 * undefined, NaN and ±Infinity. Runs on msgpackr's pure-JS path when its optional native
 * addon is absent (the addon only speeds up string decoding).
 */
export function msgpackSerializer(_options?: MsgpackSerializerOptions): Serializer {
  // One pair per serializer: msgpackr instances are synchronous and not reentrant across
  // calls, and keeping them private means no state leaks between serializers.
  const packr = new Packr(WIRE_OPTIONS);
  const unpackr = new Unpackr(WIRE_OPTIONS);
  // msgpackr keeps a DataView on each source it reads (as its `dataView` property), so a
  // fresh view costs a DataView and a property per payload: ~0.2 µs, a tenth of a small
  // round trip. Small bodies are copied into one buffer that is read again and again
  // instead (msgpackr's advice for reading from a buffer of one's own); nothing decoded
  // points into it (copyBuffers). `reading` guards against a nested decode.
  const scratch = new Uint8Array(SCRATCH_BYTES);
  let reading = false;
  /**
   * Packs `value` `reserve` bytes into a fresh region of msgpackr's buffer and returns a
   * plain Uint8Array over that region. REUSE_BUFFER_MODE makes msgpackr return its buffer
   * and the region's bounds instead of a Buffer view of it, so the plain view is the only
   * object made; msgpackr never writes that region again.
   */
  const packInto = (value: unknown, reserve: number): Uint8Array => {
    let target: Uint8Array & { start?: number; end?: number };
    try {
      target = packr.pack(
        value,
        reserve ? REUSE_BUFFER_MODE | RESERVE_START_SPACE | reserve : REUSE_BUFFER_MODE,
      );
    } catch (error) {
      if (error instanceof CodecError) throw error;
      throw new CodecError(`msgpack serializer cannot encode this value: ${messageOf(error)}`, {
        cause: error,
      });
    }
    const start = target.start!;
    const out = new Uint8Array(target.buffer, target.byteOffset + start, target.end! - start);
    // msgpackr grows its buffer to ~4x the largest payload so far and never shrinks it. A
    // payload much smaller than that buffer is copied out, so that keeping it (a delayed
    // job, a stored result) does not keep megabytes alive.
    return target.byteLength > LARGE_BUFFER && out.length * 16 < target.byteLength
      ? copyOut(out)
      : out;
  };
  return {
    id: MSGPACK_ID,
    serialize(value: unknown): Uint8Array {
      return packInto(value, 0);
    },
    serializeAfter(header: Uint8Array, value: unknown): Uint8Array {
      const h = header.length;
      // msgpackr reserves at most 255 bytes; a codec header is at most 132.
      if (h === 0 || h > 255) return join(header, packInto(value, 0));
      const out = packInto(value, h);
      for (let i = 0; i < h; i++) out[i] = header[i]!;
      return out;
    },
    deserialize(bytes: Uint8Array): unknown {
      if (!(bytes instanceof Uint8Array)) {
        throw new CodecError(`msgpack payload must be a Uint8Array, got ${typeof bytes}`);
      }
      const n = bytes.length;
      if (n === 0) throw new CodecError("msgpack payload is empty (truncated?)");
      try {
        if (n <= SCRATCH_BYTES && !reading) {
          scratch.set(bytes);
          reading = true;
          try {
            // Reads bytes 0 to n only; unpack() also refuses trailing bytes ("end of
            // buffer not reached") and reading past n ("unexpected end").
            return unpackr.unpack(scratch, n);
          } finally {
            reading = false;
          }
        }
        // Decoded binaries take the input's class; a plain view keeps Buffer out of values.
        const view =
          bytes.constructor === Uint8Array
            ? bytes
            : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return unpackr.unpack(view);
      } catch (error) {
        throw new CodecError(`msgpack payload is corrupt: ${messageOf(error)}`, { cause: error });
      }
    },
  };
}

/** Bodies up to this size are decoded from a reused buffer (see msgpackSerializer). */
const SCRATCH_BYTES = 1024;

/** msgpackr's buffer starts at 8 KiB; above this size, small payloads are copied out. */
const LARGE_BUFFER = 256 * 1024;

const SLAB_BYTES = 8 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/** A copy that owns its memory, small ones carved from an 8 KiB slab of their own. */
function copyOut(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  let out: Uint8Array;
  if (n > 1024) out = new Uint8Array(n);
  else {
    if (slabUsed + n > SLAB_BYTES) {
      slab = new Uint8Array(SLAB_BYTES);
      slabUsed = 0;
    }
    out = new Uint8Array(slab.buffer, slabUsed, n);
    slabUsed = (slabUsed + n + 7) & ~7;
  }
  out.set(bytes);
  return out;
}

function join(header: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
