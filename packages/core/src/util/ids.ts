/**
 * Job ids: a random per-process prefix plus a counter. Unique across processes with
 * overwhelming probability, and cheap enough for a million jobs a second.
 */
const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

function randomPrefix(length: number): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

let prefix = randomPrefix(10);
let counter = 0;

export function newId(): string {
  counter++;
  if (counter > 0x1fffffffffffff - 1) {
    prefix = randomPrefix(10);
    counter = 1;
  }
  return `${prefix}-${counter.toString(36)}`;
}

export function randomToken(): string {
  return randomPrefix(16);
}
