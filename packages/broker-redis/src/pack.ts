/**
 * The small msgpack subset that carries a batch between the client and the Lua scripts
 * (Redis' built-in `cmsgpack`): one flat array of strings, byte strings and small integers.
 * A batch of a thousand jobs travels as one argument and comes back as one bulk reply, so
 * neither ioredis nor Redis handles thousands of separate strings per call; the per-string
 * cost of both is larger than the cost of the bytes.
 */

/** Writes one flat msgpack array; `finish()` patches in the element count. */
export class Packer {
  #buf: Buffer;
  #pos = 5;
  #count = 0;

  constructor(sizeHint = 4096) {
    this.#buf = Buffer.allocUnsafe(Math.max(64, sizeHint));
  }

  str(s: string): void {
    const n = s.length;
    if (n < 64) {
      // A short ASCII string (the usual id, token or nonce) is copied by hand: cheaper
      // than a native call for a few bytes.
      const head = n < 32 ? 1 : 2;
      this.#ensure(n + head);
      const buf = this.#buf;
      const at = this.#pos + head;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + i] = c;
      }
      if (i === n) {
        if (head === 1) buf[this.#pos] = 0xa0 | n;
        else {
          buf[this.#pos] = 0xd9;
          buf[this.#pos + 1] = n;
        }
        this.#pos = at + n;
        this.#count++;
        return;
      }
    }
    const len = Buffer.byteLength(s);
    this.#header(len);
    this.#pos += len === 0 ? 0 : this.#buf.write(s, this.#pos, len, "utf8");
  }

  bytes(b: Uint8Array): void {
    this.#header(b.byteLength);
    this.#buf.set(b, this.#pos);
    this.#pos += b.byteLength;
  }

  /** A stored job's string: header text, a newline, the payload. */
  record(head: string, payload: Uint8Array): void {
    const headLen = Buffer.byteLength(head);
    this.#header(headLen + 1 + payload.byteLength);
    this.#pos += this.#buf.write(head, this.#pos, headLen, "utf8");
    this.#buf[this.#pos++] = 10;
    this.#buf.set(payload, this.#pos);
    this.#pos += payload.byteLength;
  }

  /** A non-negative integer below 2^32. */
  int(n: number): void {
    this.#ensure(5);
    const buf = this.#buf;
    if (n < 128) buf[this.#pos++] = n;
    else if (n < 0x10000) {
      buf[this.#pos] = 0xcd;
      buf.writeUInt16BE(n, this.#pos + 1);
      this.#pos += 3;
    } else {
      buf[this.#pos] = 0xce;
      buf.writeUInt32BE(n >>> 0, this.#pos + 1);
      this.#pos += 5;
    }
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  /** The packed array (a view of the internal buffer: pack nothing after this). */
  finish(): Buffer {
    this.#buf[0] = 0xdd; // array 32: the count is known only now
    this.#buf.writeUInt32BE(this.#count, 1);
    return this.#buf.subarray(0, this.#pos);
  }

  #header(len: number): void {
    this.#ensure(5 + len);
    const buf = this.#buf;
    if (len < 32) buf[this.#pos++] = 0xa0 | len;
    else if (len < 0x100) {
      buf[this.#pos] = 0xd9;
      buf[this.#pos + 1] = len;
      this.#pos += 2;
    } else if (len < 0x10000) {
      buf[this.#pos] = 0xda;
      buf.writeUInt16BE(len, this.#pos + 1);
      this.#pos += 3;
    } else {
      buf[this.#pos] = 0xdb;
      buf.writeUInt32BE(len, this.#pos + 1);
      this.#pos += 5;
    }
    this.#count++;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
}

/**
 * The byte ranges of the elements of a flat msgpack array of strings (as `cmsgpack.pack`
 * writes one): `[start0, end0, start1, end1, …]`.
 */
export function packedRanges(buf: Uint8Array): Uint32Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos: number;
  let count: number;
  const t = buf[0];
  if (t === undefined || t === 0x80 || t === 0x90) return new Uint32Array(0); // {} may pack as a map
  if (t > 0x90 && t <= 0x9f) {
    count = t & 0x0f;
    pos = 1;
  } else if (t === 0xdc) {
    count = view.getUint16(1);
    pos = 3;
  } else if (t === 0xdd) {
    count = view.getUint32(1);
    pos = 5;
  } else {
    throw new Error(`unexpected msgpack type 0x${t.toString(16)} for an array`);
  }
  const out = new Uint32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const c = buf[pos]!;
    let len: number;
    if (c >= 0xa0 && c <= 0xbf) {
      len = c & 0x1f;
      pos += 1;
    } else if (c === 0xd9 || c === 0xc4) {
      len = buf[pos + 1]!;
      pos += 2;
    } else if (c === 0xda || c === 0xc5) {
      len = view.getUint16(pos + 1);
      pos += 3;
    } else if (c === 0xdb || c === 0xc6) {
      len = view.getUint32(pos + 1);
      pos += 5;
    } else {
      throw new Error(`unexpected msgpack type 0x${c.toString(16)} for a string`);
    }
    if (pos + len > buf.length) throw new Error("truncated msgpack string");
    out[2 * i] = pos;
    out[2 * i + 1] = pos + len;
    pos += len;
  }
  return out;
}
