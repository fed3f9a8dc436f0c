import type { Serializer } from "../contracts/serializer.ts";
import { CodecError } from "../errors.ts";
import { base64Length, readBase64, writeBase64 } from "./base64.ts";
import {
  allocPayload,
  currentSlab,
  POOLED_MAX_BYTES,
  slabRoom,
  takeSlab,
} from "./payload-bytes.ts";

/**
 * JSON, extended so the values people put in jobs come back as they went in:
 * Date, BigInt, Map, Set, Uint8Array and undefined are written as `{"$pt": type, "v": …}`
 * and revived on decode. A plain object that itself has a "$pt" key is escaped the same
 * way, so no user value is ever mistaken for a tag. Other classes lose their prototype
 * (as with JSON.stringify); functions and symbols are refused with a CodecError.
 */
const TAG = "$pt";
const encoder = new TextEncoder();
// The non-fatal decoder takes Node's fast path; a payload it decodes with a U+FFFD in it
// is decoded again by the fatal one, which refuses invalid UTF-8 as before (a U+FFFD
// that was in the data decodes the same either way).
const looseDecoder = new TextDecoder("utf-8");
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * What the replacer writes for every Uint8Array. The base64 is not put in the string (a
 * 1 MiB binary made JSON.stringify escape-scan 1.4 MB, and TextEncoder copy it again):
 * the bytes are written into the payload between the quotes of `"v":""`, so the payload
 * is byte for byte what `{"$pt":"Uint8Array","v":"<base64>"}` would be. That text can
 * only appear where a replacer put it: a user object with a "$pt" key is escaped, and
 * inside strings every quote is escaped.
 */
const BINARY_TAG = Object.freeze({ [TAG]: "Uint8Array", v: "" });
const BINARY_MARK = `{"${TAG}":"Uint8Array","v":"`;

export const jsonSerializer: Serializer = {
  id: "json",
  serialize(value: unknown): Uint8Array {
    return write(EMPTY, value);
  },
  serializeAfter(header: Uint8Array, value: unknown): Uint8Array {
    return write(header, value);
  },
  deserialize(bytes: Uint8Array): unknown {
    try {
      let text = looseDecoder.decode(bytes);
      if (text.indexOf("\uFFFD") !== -1) text = strictDecoder.decode(bytes);
      // Every tag has `$pt"` in it; searching for that is a memchr for the rare "$".
      if (!text.includes(`${TAG}"`)) return JSON.parse(text);
      const value = JSON.parse(text, reviver);
      // A reviver that returns undefined deletes the property, so undefined travels as a
      // sentinel and is put back here.
      return text.includes(`"${TAG}":"undefined"`) ? restoreUndefined(value) : value;
    } catch (error) {
      throw new CodecError(`json payload is corrupt: ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
};

const EMPTY = new Uint8Array(0);

/** header + the value's JSON, in one payload buffer. */
function write(header: Uint8Array, value: unknown): Uint8Array {
  const binaries: Uint8Array[] = [];
  const text = stringify(value, binaries);
  return binaries.length ? writeWithBinaries(header, text, binaries) : writeText(header, text);
}

function writeText(header: Uint8Array, text: string): Uint8Array {
  const h = header.length;
  const len = text.length;
  if (h + len <= POOLED_MAX_BYTES) {
    // Room for any text of this length (3 bytes per UTF-16 unit at most).
    const at = slabRoom(h + 3 * len);
    const slab = currentSlab();
    for (let i = 0; i < h; i++) slab[at + i] = header[i]!;
    const { written } = encoder.encodeInto(text, slab.subarray(at + h, at + h + 3 * len));
    return takeSlab(at, h + written);
  }
  // Sized for ASCII, the usual JSON; anything else is measured and written again.
  let out = new Uint8Array(h + len);
  if (encoder.encodeInto(text, out.subarray(h)).read !== len) {
    out = new Uint8Array(h + utf8Length(text));
    encoder.encodeInto(text, out.subarray(h));
  }
  out.set(header, 0);
  return out;
}

function writeWithBinaries(header: Uint8Array, text: string, binaries: Uint8Array[]): Uint8Array {
  let b64 = 0;
  for (const b of binaries) b64 += base64Length(b.length);
  const h = header.length;
  // Sized for ASCII text first, the usual JSON; anything else is measured and written again.
  return (
    writeSpliced(header, text, binaries, h + text.length + b64, true) ??
    writeSpliced(header, text, binaries, h + utf8Length(text) + b64, false)!
  );
}

/**
 * The text with each binary's base64 written into its tag. With `asciiOnly`, returns
 * undefined as soon as a character takes more than one byte (`size` is then short).
 */
function writeSpliced(
  header: Uint8Array,
  text: string,
  binaries: Uint8Array[],
  size: number,
  asciiOnly: boolean,
): Uint8Array | undefined {
  const out = allocPayload(size);
  out.set(header, 0);
  let o = header.length;
  let from = 0;
  for (let i = 0; i <= binaries.length; i++) {
    let cut = text.length;
    if (i < binaries.length) {
      const mark = text.indexOf(BINARY_MARK, from);
      if (mark === -1) throw new CodecError("json serializer lost track of a Uint8Array (a bug)");
      cut = mark + BINARY_MARK.length;
    }
    const r = encoder.encodeInto(text.slice(from, cut), out.subarray(o));
    if (asciiOnly && (r.read !== cut - from || r.written !== r.read)) return undefined;
    o += r.written;
    if (i < binaries.length) o = writeBase64(binaries[i]!, out, o);
    from = cut;
  }
  if (o !== size) throw new CodecError("json serializer miscounted its output (a bug)");
  return out;
}

/** UTF-8 length of a string as TextEncoder writes it (a lone surrogate as U+FFFD). */
function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
      continue;
    }
    // Three bytes, or four for a surrogate pair (two units).
    n += 2;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

function stringify(value: unknown, binaries: Uint8Array[]): string {
  try {
    let text: string | undefined;
    if (typeof value !== "object" || value === null) text = JSON.stringify(encodeScalar(value));
    // The replacer costs several times a plain stringify; most payloads need no tags.
    else if (!needsTags(value, 0)) text = JSON.stringify(value);
    else {
      text = JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
        return replacer(this, key, v, binaries);
      });
    }
    if (typeof text !== "string")
      throw new CodecError("json serializer made no text of this value");
    return text;
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError(`json serializer cannot encode this value: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * True when plain JSON.stringify would lose or refuse something: a value we tag, a key
 * that looks like a tag, or nesting too deep to walk (the replacer then reports cycles).
 * This walk is most of what the json codec adds to a payload that needs no tags (~10% of
 * a JSON.stringify), so it is written for speed: one function, primitives tested inline.
 */
function needsTags(value: object, depth: number): boolean {
  if (depth > 64) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === "object") {
        if (v !== null && needsTags(v, depth + 1)) return true;
      } else if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
        return true;
      }
    }
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return true;
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v === "object") {
      if (v !== null && needsTags(v, depth + 1)) return true;
    } else if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      return true;
    }
    if (key === TAG) return true;
  }
  return false;
}

function encodeScalar(value: unknown): unknown {
  switch (typeof value) {
    case "undefined":
      return { [TAG]: "undefined" };
    case "bigint":
      return { [TAG]: "BigInt", v: value.toString() };
    case "function":
    case "symbol":
      throw new CodecError(`json serializer cannot encode a ${typeof value}: pass data, not code`);
    default:
      return value;
  }
}

// `holder[key]` is the value before toJSON ran, which is how a Date is told from a string.
function replacer(
  holder: Record<string, unknown>,
  key: string,
  value: unknown,
  binaries: Uint8Array[],
): unknown {
  const raw = holder[key];
  if (raw instanceof Date)
    return { [TAG]: "Date", v: Number.isNaN(raw.getTime()) ? null : raw.toISOString() };
  if (typeof value !== "object" || value === null) return encodeScalar(value);
  if (value instanceof Map) return { [TAG]: "Map", v: [...value] };
  if (value instanceof Set) return { [TAG]: "Set", v: [...value] };
  if (value instanceof Uint8Array) {
    binaries.push(value);
    return BINARY_TAG;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new CodecError(
      `json serializer encodes Uint8Array but not ${value.constructor.name}: convert it, or use @platoon/serializer-msgpack`,
    );
  }
  if (!Array.isArray(value) && Object.hasOwn(value, TAG)) {
    return { [TAG]: "Object", v: Object.entries(value) };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, TAG)) return value;
  const tagged = value as { [TAG]: string; v?: any };
  switch (tagged[TAG]) {
    case "undefined":
      return UNDEFINED;
    case "Date":
      return new Date(tagged.v ?? Number.NaN);
    case "BigInt":
      return BigInt(tagged.v);
    case "Map":
      return new Map(tagged.v);
    case "Set":
      return new Set(tagged.v);
    case "Uint8Array":
      return readBase64(tagged.v);
    case "Object":
      return Object.fromEntries(tagged.v);
    default:
      return value;
  }
}

const UNDEFINED = Symbol("undefined");

function restoreUndefined(value: unknown, seen = new Set<object>()): unknown {
  if (value === UNDEFINED) return undefined;
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Map) {
    const entries = [...value].map(
      ([k, v]) => [restoreUndefined(k, seen), restoreUndefined(v, seen)] as const,
    );
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
  } else if (value instanceof Set) {
    const items = [...value].map((v) => restoreUndefined(v, seen));
    value.clear();
    for (const v of items) value.add(v);
  } else if (!(value instanceof Date) && !(value instanceof Uint8Array)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = restoreUndefined(record[key], seen);
  }
  return value;
}
