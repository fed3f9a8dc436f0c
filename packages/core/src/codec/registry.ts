import type { Compressor } from "../contracts/compressor.ts";
import type { Serializer } from "../contracts/serializer.ts";
import { ConfigError } from "../errors.ts";
import { identityCompressor } from "./identity-compressor.ts";
import { jsonSerializer } from "./json-serializer.ts";

export interface SerializerFactory {
  kind: "serializer";
  name: string;
  create(options?: Record<string, unknown>): Serializer;
}
export interface CompressorFactory {
  kind: "compressor";
  name: string;
  create(options?: { level?: number } & Record<string, unknown>): Compressor;
}
export type AdapterFactory = SerializerFactory | CompressorFactory;

/** An adapter package exports its factories under this name. */
export interface AdapterModule {
  platoonAdapters: AdapterFactory[];
}

/** Names Platoon knows how to find, and the package that brings each. */
export const KNOWN_ADAPTER_PACKAGES: Readonly<Record<string, string>> = {
  "serializer:msgpack": "@platoon/serializer-msgpack",
  "compressor:gzip": "@platoon/compressor-fflate",
  "compressor:deflate": "@platoon/compressor-fflate",
  "compressor:zlib": "@platoon/compressor-fflate",
};

type Kind = AdapterFactory["kind"];

/**
 * Resolves adapters named in plain config. Packages listed in KNOWN_ADAPTER_PACKAGES are
 * imported on first use, so `serializer: "msgpack"` works once the package is installed.
 */
export class AdapterRegistry {
  readonly #factories = new Map<string, AdapterFactory>();
  readonly #byId = new Map<string, Serializer | Compressor>();
  readonly #packages: Record<string, string>;
  readonly #importer: (specifier: string) => Promise<unknown>;

  constructor(options?: {
    packages?: Record<string, string>;
    importer?: (specifier: string) => Promise<unknown>;
  }) {
    this.#packages = { ...KNOWN_ADAPTER_PACKAGES, ...options?.packages };
    this.#importer = options?.importer ?? ((specifier) => import(specifier));
    this.register({ kind: "serializer", name: "json", create: () => jsonSerializer });
    this.register({ kind: "compressor", name: "none", create: () => identityCompressor });
  }

  register(factory: AdapterFactory): this {
    this.#factories.set(`${factory.kind}:${factory.name}`, factory);
    return this;
  }

  /** Adds an instance so payloads carrying its id decode without a lookup by name. */
  remember(adapter: Serializer | Compressor, kind: Kind): void {
    this.#byId.set(`${kind}:${adapter.id}`, adapter);
  }

  known(kind: Kind): string[] {
    const names = new Set<string>();
    for (const key of [...this.#factories.keys(), ...Object.keys(this.#packages)]) {
      const [k, name] = key.split(":") as [string, string];
      if (k === kind) names.add(name);
    }
    return [...names].sort();
  }

  async serializer(name: string, options?: Record<string, unknown>): Promise<Serializer> {
    const factory = (await this.#factory("serializer", name)) as SerializerFactory;
    const adapter = factory.create(options);
    this.remember(adapter, "serializer");
    return adapter;
  }

  async compressor(name: string, options?: { level?: number }): Promise<Compressor> {
    const factory = (await this.#factory("compressor", name)) as CompressorFactory;
    const adapter = factory.create(options);
    this.remember(adapter, "compressor");
    return adapter;
  }

  /** The adapter that wrote `id`, when already at hand (the decode fast path). */
  cachedById(kind: "serializer", id: string): Serializer | undefined;
  cachedById(kind: "compressor", id: string): Compressor | undefined;
  cachedById(kind: Kind, id: string): Serializer | Compressor | undefined {
    return this.#byId.get(`${kind}:${id}`);
  }

  /** Finds the adapter for an id read from a payload header, importing its package. */
  async byId(kind: "serializer", id: string): Promise<Serializer>;
  async byId(kind: "compressor", id: string): Promise<Compressor>;
  async byId(kind: Kind, id: string): Promise<Serializer | Compressor> {
    const cached = this.#byId.get(`${kind}:${id}`);
    if (cached) return cached;
    return kind === "serializer" ? this.serializer(id) : this.compressor(id);
  }

  async #factory(kind: Kind, name: string): Promise<AdapterFactory> {
    const key = `${kind}:${name}`;
    const found = this.#factories.get(key);
    if (found) return found;
    const pkg = this.#packages[key];
    if (!pkg) {
      throw new ConfigError(
        `unknown ${kind} ${JSON.stringify(name)}: known ${kind}s are ${this.known(kind).join(", ")}`,
      );
    }
    let mod: unknown;
    try {
      mod = await this.#importer(pkg);
    } catch (error) {
      throw new ConfigError(
        `${kind} ${JSON.stringify(name)} needs the package ${pkg}, which could not be loaded: install it (npm install ${pkg})`,
        { cause: error },
      );
    }
    const factories = (mod as Partial<AdapterModule>).platoonAdapters;
    if (!Array.isArray(factories)) {
      throw new ConfigError(`${pkg} does not export platoonAdapters: is it a Platoon adapter?`);
    }
    for (const factory of factories) this.register(factory);
    const loaded = this.#factories.get(key);
    if (!loaded)
      throw new ConfigError(`${pkg} does not provide the ${kind} ${JSON.stringify(name)}`);
    return loaded;
  }
}

export const defaultRegistry = new AdapterRegistry();
