import { CodecError } from "../errors.ts";

/**
 * Every payload starts with: magic byte, format version, serializer id (length-prefixed
 * ASCII), compressor id (length-prefixed; length 0 means "not compressed"). A consumer
 * needs nothing but the bytes to know how to decode them.
 */
export const HEADER_MAGIC = 0xc7;
export const FORMAT_VERSION = 1;

export interface ParsedHeader {
  serializerId: string;
  /** Empty when the body is not compressed. */
  compressorId: string;
  bodyOffset: number;
}

const ascii = new TextEncoder();

export function buildHeader(serializerId: string, compressorId: string): Uint8Array {
  checkId(serializerId, "serializer");
  if (compressorId) checkId(compressorId, "compressor");
  const s = ascii.encode(serializerId);
  const c = ascii.encode(compressorId);
  const header = new Uint8Array(4 + s.length + c.length);
  header[0] = HEADER_MAGIC;
  header[1] = FORMAT_VERSION;
  header[2] = s.length;
  header.set(s, 3);
  header[3 + s.length] = c.length;
  header.set(c, 4 + s.length);
  return header;
}

function checkId(id: string, kind: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id)) {
    throw new CodecError(
      `${kind} id ${JSON.stringify(id)} is not valid: use 1-64 characters of a-z, 0-9, ".", "_" or "-"`,
    );
  }
}

export function parseHeader(bytes: Uint8Array): ParsedHeader {
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError(`payload must be a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length < 4 || bytes[0] !== HEADER_MAGIC) {
    throw new CodecError(
      "payload has no Platoon codec header (was it written by another tool, or corrupted?)",
    );
  }
  if (bytes[1] !== FORMAT_VERSION) {
    throw new CodecError(
      `payload uses codec format version ${bytes[1]}; this version of @platoon/core reads version ${FORMAT_VERSION}: upgrade @platoon/core`,
    );
  }
  const sLen = bytes[2]!;
  const cAt = 3 + sLen;
  if (sLen === 0 || cAt >= bytes.length) throw truncated();
  const cLen = bytes[cAt]!;
  const bodyOffset = cAt + 1 + cLen;
  if (bodyOffset > bytes.length) throw truncated();
  return {
    serializerId: readAscii(bytes, 3, cAt),
    compressorId: cLen ? readAscii(bytes, cAt + 1, bodyOffset) : "",
    bodyOffset,
  };
}

function readAscii(bytes: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

function truncated(): CodecError {
  return new CodecError("payload's codec header is truncated");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
