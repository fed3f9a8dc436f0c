import type { Compressor } from "../contracts/compressor.ts";

/** No compression. Its id never appears in a header: an uncompressed body says so itself. */
export const identityCompressor: Compressor = {
  id: "none",
  compress: (bytes) => bytes,
  decompress: (bytes) => bytes,
};
