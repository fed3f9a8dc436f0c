import type { Compressor, MaybePromise } from "../contracts/compressor.ts";
import type { Serializer } from "../contracts/serializer.ts";
import { CodecError, ConfigError } from "../errors.ts";
import { readEnv } from "../util/env.ts";
import {
  type CodecSpec,
  type CompressorSpec,
  DEFAULT_COMPRESSION_THRESHOLD,
  DEFAULT_MAX_PAYLOAD_BYTES,
} from "./codec-spec.ts";
import { buildHeader, parseHeader } from "./header.ts";
import { identityCompressor } from "./identity-compressor.ts";
import { joinPayload } from "./payload-bytes.ts";
import { type AdapterRegistry, defaultRegistry } from "./registry.ts";

export interface CodecOptions {
  serializer: Serializer;
  compressor?: Compressor;
  /** Bodies smaller than this are stored raw. Default 1024 bytes. */
  threshold?: number;
  maxPayloadBytes?: number;
  registry?: AdapterRegistry;
}

/**
 * Serializer + compressor + header. Encodes with its own pair; decodes whatever pair a
 * payload's header names, so producers can switch codecs while old jobs drain.
 */
export class Codec {
  readonly serializer: Serializer;
  readonly compressor: Compressor;
  readonly threshold: number;
  readonly maxPayloadBytes: number;
  readonly registry: AdapterRegistry;
  readonly #rawHeader: Uint8Array;
  readonly #packedHeader: Uint8Array;
  readonly #compresses: boolean;

  constructor(options: CodecOptions) {
    this.serializer = options.serializer;
    this.compressor = options.compressor ?? identityCompressor;
    this.threshold = options.threshold ?? DEFAULT_COMPRESSION_THRESHOLD;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.registry = options.registry ?? defaultRegistry;
    this.#compresses = this.compressor.id !== identityCompressor.id;
    this.#rawHeader = buildHeader(this.serializer.id, "");
    this.#packedHeader = this.#compresses
      ? buildHeader(this.serializer.id, this.compressor.id)
      : this.#rawHeader;
    this.registry.remember(this.serializer, "serializer");
    this.registry.remember(this.compressor, "compressor");
  }

  encode(value: unknown): MaybePromise<Uint8Array> {
    const serializer = this.serializer;
    const raw = this.#rawHeader;
    if (!this.#compresses) {
      return this.#checkSize(
        serializer.serializeAfter
          ? serializer.serializeAfter(raw, value)
          : joinPayload(raw, serializer.serialize(value)),
      );
    }
    let body: Uint8Array;
    if (serializer.serializeAfter) {
      // Serialize after the raw header: a body under the threshold is then done, no copy.
      const out = serializer.serializeAfter(raw, value);
      if (out.length - raw.length < this.threshold) return this.#checkSize(out);
      body = out.subarray(raw.length);
    } else {
      body = serializer.serialize(value);
      if (body.length < this.threshold) return this.#checkSize(joinPayload(raw, body));
    }
    const packed = this.compressor.compress(body);
    return packed instanceof Promise
      ? packed.then((p) => this.#checkSize(joinPayload(this.#packedHeader, p)))
      : this.#checkSize(joinPayload(this.#packedHeader, packed));
  }

  decode(bytes: Uint8Array): MaybePromise<unknown> {
    // Payloads this codec writes (the usual case) skip parsing the header and the registry.
    const raw = this.#rawHeader;
    if (startsWith(bytes, raw)) {
      return deserialize(this.serializer, bytes.subarray(raw.length));
    }
    if (this.#compresses && startsWith(bytes, this.#packedHeader)) {
      return finishDecode(
        this.serializer,
        this.compressor,
        bytes.subarray(this.#packedHeader.length),
      );
    }
    const header = parseHeader(bytes);
    const body = bytes.subarray(header.bodyOffset);
    const serializer = this.registry.cachedById("serializer", header.serializerId);
    const compressor = header.compressorId
      ? this.registry.cachedById("compressor", header.compressorId)
      : identityCompressor;
    if (serializer && compressor) return finishDecode(serializer, compressor, body);
    return this.#decodeWithLookup(header.serializerId, header.compressorId, body);
  }

  /** The codec as plain data, to rebuild it in a worker thread or child process. */
  spec(): CodecSpec {
    const compressor: CompressorSpec = this.#compresses
      ? { name: this.compressor.id, threshold: this.threshold, ...levelOf(this.compressor) }
      : "none";
    return { serializer: this.serializer.id, compressor, maxPayloadBytes: this.maxPayloadBytes };
  }

  async #decodeWithLookup(serializerId: string, compressorId: string, body: Uint8Array) {
    const serializer = await this.registry.byId("serializer", serializerId).catch((error) => {
      throw missing("serializer", serializerId, error);
    });
    const compressor = compressorId
      ? await this.registry.byId("compressor", compressorId).catch((error) => {
          throw missing("compressor", compressorId, error);
        })
      : identityCompressor;
    return finishDecode(serializer, compressor, body);
  }

  #checkSize(bytes: Uint8Array): Uint8Array {
    if (bytes.length > this.maxPayloadBytes) {
      throw new CodecError(
        `encoded payload is ${bytes.length} bytes, over the limit of ${this.maxPayloadBytes}: send a reference (a URL or key) instead of the data, or raise maxPayloadBytes`,
        { code: "PAYLOAD_TOO_LARGE" },
      );
    }
    return bytes;
  }
}

function finishDecode(serializer: Serializer, compressor: Compressor, body: Uint8Array) {
  if (compressor === identityCompressor) return deserialize(serializer, body);
  let raw: MaybePromise<Uint8Array>;
  try {
    raw = compressor.decompress(body);
  } catch (error) {
    throw new CodecError(
      `payload does not decompress with ${compressor.id}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (raw instanceof Promise) {
    return raw.then(
      (r) => deserialize(serializer, r),
      (error) => {
        throw error instanceof CodecError
          ? error
          : new CodecError(
              `payload does not decompress with ${compressor.id}: ${(error as Error).message}`,
              { cause: error },
            );
      },
    );
  }
  return deserialize(serializer, raw);
}

function deserialize(serializer: Serializer, bytes: Uint8Array): unknown {
  try {
    return serializer.deserialize(bytes);
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError(
      `payload does not decode with ${serializer.id}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function missing(kind: string, id: string, cause: unknown): CodecError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CodecError(
    `payload was encoded with the ${kind} "${id}", which this process lacks: ${detail}`,
    { cause },
  );
}

function levelOf(compressor: Compressor): { level?: number } {
  const level = (compressor as { level?: unknown }).level;
  return typeof level === "number" ? { level } : {};
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export interface CodecConfig {
  serializer?: string | Serializer;
  compressor?: CompressorSpec | Compressor;
  maxPayloadBytes?: number;
}

/**
 * Builds a codec from instances or names. Unset choices fall back to the environment
 * (PLATOON_SERIALIZER, PLATOON_COMPRESSOR, PLATOON_MAX_PAYLOAD_BYTES), then json + none.
 */
export async function createCodec(
  config: CodecConfig = {},
  registry: AdapterRegistry = defaultRegistry,
): Promise<Codec> {
  const serializerChoice = config.serializer ?? readEnv("PLATOON_SERIALIZER") ?? "json";
  const compressorChoice =
    config.compressor ?? parseCompressorEnv(readEnv("PLATOON_COMPRESSOR")) ?? "none";
  const maxPayloadBytes = config.maxPayloadBytes ?? parseIntEnv("PLATOON_MAX_PAYLOAD_BYTES");
  const serializer =
    typeof serializerChoice === "string"
      ? await registry.serializer(serializerChoice)
      : serializerChoice;
  let compressor: Compressor;
  let threshold: number | undefined;
  if (typeof compressorChoice === "string") {
    compressor = await registry.compressor(compressorChoice);
  } else if ("compress" in compressorChoice) {
    compressor = compressorChoice;
  } else {
    if (typeof compressorChoice.name !== "string") {
      throw new ConfigError(
        `compressor must be a name or { name, level?, threshold? }; got ${JSON.stringify(compressorChoice)}`,
      );
    }
    const level = compressorChoice.level;
    compressor = await registry.compressor(
      compressorChoice.name,
      level === undefined ? {} : { level },
    );
    threshold = compressorChoice.threshold;
  }
  return new Codec({
    serializer,
    compressor,
    registry,
    ...(threshold === undefined ? {} : { threshold }),
    ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
  });
}

/** "gzip", "gzip:9", or JSON such as {"name":"gzip","level":9,"threshold":512}. */
export function parseCompressorEnv(text: string | undefined): CompressorSpec | undefined {
  if (!text) return undefined;
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      return JSON.parse(trimmed) as CompressorSpec;
    } catch (error) {
      throw new ConfigError(`PLATOON_COMPRESSOR is not valid JSON: ${trimmed}`, { cause: error });
    }
  }
  const [name, level] = trimmed.split(":");
  if (level === undefined) return name!;
  const n = Number(level);
  if (!Number.isInteger(n))
    throw new ConfigError(`PLATOON_COMPRESSOR level must be an integer: ${trimmed}`);
  return { name: name!, level: n };
}

function parseIntEnv(name: string): number | undefined {
  const text = readEnv(name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}
