import type { Serializer } from "../contracts/serializer.ts";
import { CodecError } from "../errors.ts";

/**
 * JSON, extended so the values people put in jobs come back as they went in:
 * Date, BigInt, Map, Set, Uint8Array and undefined are written as `{"$pt": type, "v": …}`
 * and revived on decode. A plain object that itself has a "$pt" key is escaped the same
 * way, so no user value is ever mistaken for a tag. Other classes lose their prototype
 * (as with JSON.stringify); functions and symbols are refused with a CodecError.
 */
const TAG = "$pt";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

// Below this many characters, copying ASCII straight after the header spares TextEncoder's
// fixed cost and a second buffer.
const SMALL = 256;

export const jsonSerializer: Serializer = {
  id: "json",
  serialize(value: unknown): Uint8Array {
    return encoder.encode(stringify(value));
  },
  serializeAfter(header: Uint8Array, value: unknown): Uint8Array {
    const text = stringify(value);
    const h = header.length;
    if (text.length <= SMALL) {
      const out = new Uint8Array(h + text.length);
      for (let i = 0; i < h; i++) out[i] = header[i]!;
      let i = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7f) break;
        out[h + i] = c;
      }
      if (i === text.length) return out;
    }
    const body = encoder.encode(text);
    const out = new Uint8Array(h + body.length);
    out.set(header, 0);
    out.set(body, h);
    return out;
  },
  deserialize(bytes: Uint8Array): unknown {
    try {
      const text = decoder.decode(bytes);
      if (!text.includes(`"${TAG}"`)) return JSON.parse(text);
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

function stringify(value: unknown): string {
  try {
    if (typeof value !== "object" || value === null) return JSON.stringify(encodeScalar(value));
    // The replacer costs several times a plain stringify; most payloads need no tags.
    return needsTags(value, 0) ? JSON.stringify(value, replacer) : JSON.stringify(value);
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
 */
function needsTags(value: object, depth: number): boolean {
  if (depth > 64) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (valueNeedsTags(value[i], depth)) return true;
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return true;
  for (const key in value) {
    if (key === TAG || valueNeedsTags((value as Record<string, unknown>)[key], depth)) return true;
  }
  return false;
}

function valueNeedsTags(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
      return false;
    case "object":
      return v !== null && needsTags(v, depth + 1);
    default:
      return true;
  }
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

// `this[key]` is the value before toJSON ran, which is how a Date is told from a string.
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date)
    return { [TAG]: "Date", v: Number.isNaN(raw.getTime()) ? null : raw.toISOString() };
  if (typeof value !== "object" || value === null) return encodeScalar(value);
  if (value instanceof Map) return { [TAG]: "Map", v: [...value] };
  if (value instanceof Set) return { [TAG]: "Set", v: [...value] };
  if (value instanceof Uint8Array) return { [TAG]: "Uint8Array", v: toBase64(value) };
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
      return fromBase64(tagged.v);
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

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function toBase64(bytes: Uint8Array): string {
  const native = (bytes as { toBase64?: () => string }).toBase64;
  if (typeof native === "function") return native.call(bytes);
  const parts: string[] = [];
  const CHUNK = 0x3000;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    let out = "";
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
    }
    if (i < end) {
      const n = (bytes[i]! << 16) | ((i + 1 < end ? bytes[i + 1]! : 0) << 8);
      out += B64[n >> 18]! + B64[(n >> 12) & 63]! + (i + 1 < end ? B64[(n >> 6) & 63]! : "=") + "=";
    }
    parts.push(out);
  }
  return parts.join("");
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
