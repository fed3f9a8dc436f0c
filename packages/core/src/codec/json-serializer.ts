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

// Below this many characters, hand-copying ASCII beats TextEncoder/TextDecoder's fixed cost.
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
      const text = (bytes.length <= SMALL && asciiText(bytes)) || decoder.decode(bytes);
      return text.includes(`"${TAG}"`) ? JSON.parse(text, reviver) : JSON.parse(text);
    } catch (error) {
      throw new CodecError(`json payload is corrupt: ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
};

function stringify(value: unknown): string {
  try {
    return typeof value === "object" && value !== null
      ? JSON.stringify(value, replacer)
      : JSON.stringify(encodeScalar(value));
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError(`json serializer cannot encode this value: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The bytes as a string when all are ASCII (then UTF-8 decoding is the identity). */
function asciiText(bytes: Uint8Array): string | undefined {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return undefined;
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
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
      return undefined;
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

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
