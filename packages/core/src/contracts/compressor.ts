export type MaybePromise<T> = T | Promise<T>;

/**
 * Bytes to bytes. Methods may be async (web CompressionStream is), but a sync
 * implementation keeps the codec on its fast path.
 */
export interface Compressor {
  readonly id: string;
  compress(bytes: Uint8Array): MaybePromise<Uint8Array>;
  decompress(bytes: Uint8Array): MaybePromise<Uint8Array>;
}
