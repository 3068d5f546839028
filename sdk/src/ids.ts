/** Idempotency keys: 128 random bits, hex. */

/** crypto.getRandomValues exists in browsers (also on plain-http pages, unlike randomUUID) and in Node 20. */
export function newKey(): string {
  const bytes = new Uint8Array(16);
  const crypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => Uint8Array } }).crypto;
  if (crypto?.getRandomValues !== undefined) {
    crypto.getRandomValues(bytes);
  } else {
    // Old runtimes only; keys need to be unique, not secret.
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = Math.floor(Math.random() * 256);
    }
  }
  let key = '';
  for (const byte of bytes) {
    key += byte.toString(16).padStart(2, '0');
  }
  return key;
}
