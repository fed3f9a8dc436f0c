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

export const jsonSerializer: Serializer = {
  id: "json",
  serialize(value: unknown): Uint8Array {
    let text: string;
    try {
      text =
        typeof value === "object" && value !== null
          ? JSON.stringify(value, replacer)
          : JSON.stringify(encodeScalar(value));
    } catch (error) {
      if (error instanceof CodecError) throw error;
      throw new CodecError(
        `json serializer cannot encode this value: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return encoder.encode(text);
  },
  deserialize(bytes: Uint8Array): unknown {
    let text: string;
    try {
      text = decoder.decode(bytes);
      return text.includes(`"${TAG}"`) ? JSON.parse(text, reviver) : JSON.parse(text);
    } catch (error) {
      throw new CodecError(`json payload is corrupt: ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
};

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
