/**
 * Where encoded payloads live. A fresh `Uint8Array` costs a backing-store allocation
 * (~0.3 µs on Node 20 whatever its size, and more work for the GC), which is most of a
 * small payload's encode; so payloads up to POOLED_MAX_BYTES are carved from a shared
 * slab instead, as Node's `Buffer.allocUnsafe` does (same 8 KiB pool size) and msgpackr
 * does with its own buffer. A carved payload is a plain Uint8Array view that nothing
 * writes again; while it lives it keeps its slab alive (at most SLAB_BYTES, so a long-kept
 * 150-byte payload can hold up to 8 KiB).
 */
const SLAB_BYTES = 8 * 1024;

/** Payloads up to this many bytes share slabs; bigger ones get a buffer of their own. */
export const POOLED_MAX_BYTES = 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/**
 * Makes room for up to `max` bytes (at most 4 × POOLED_MAX_BYTES) at the end of the
 * current slab and returns the offset where it starts; write there through
 * `currentSlab()`, then `takeSlab(offset, n)` the bytes written. Nothing may allocate
 * from the slab in between (keep user code, such as toJSON, out of it).
 */
export function slabRoom(max: number): number {
  if (used + max > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  return used;
}

export function currentSlab(): Uint8Array {
  return slab;
}

export function takeSlab(offset: number, n: number): Uint8Array {
  // 8-byte aligned starts, so later copies of a payload run on whole words.
  used = (offset + n + 7) & ~7;
  return new Uint8Array(slab.buffer, offset, n);
}

/** `n` bytes for a payload: from the slab when small, else a buffer of its own. */
export function allocPayload(n: number): Uint8Array {
  return n <= POOLED_MAX_BYTES ? takeSlab(slabRoom(n), n) : new Uint8Array(n);
}

/** header + body in one payload buffer. */
export function joinPayload(header: Uint8Array, body: Uint8Array): Uint8Array {
  const h = header.length;
  const out = allocPayload(h + body.length);
  for (let i = 0; i < h; i++) out[i] = header[i]!;
  out.set(body, h);
  return out;
}
