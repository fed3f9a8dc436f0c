/**
 * Turns values into bytes and back. `id` is written into every payload's codec header,
 * so it must stay stable for as long as jobs encoded with it may still be queued.
 */
export interface Serializer {
  readonly id: string;
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
  /**
   * Optional: serialize straight after `header` in one new buffer, sparing the codec a
   * copy. Must return exactly header + what serialize() would return.
   */
  serializeAfter?(header: Uint8Array, value: unknown): Uint8Array;
}
