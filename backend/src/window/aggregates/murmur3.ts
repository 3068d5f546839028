/**
 * MurmurHash3 x86 32-bit, the hash behind the HyperLogLog distinct counts.
 *
 * Why not a package: the function is 30 lines with published test vectors
 * (checked in murmur3.test.ts); the npm ports are unmaintained or, like
 * xxhash-wasm, need async start-up and BigInt for 64 bits — on the hottest
 * path of the distinct aggregate. Why this hash: good avalanche, only 32-bit
 * multiplies (Math.imul), and the same value in every processor, which is
 * what makes HLL partials from several processors mergeable.
 *
 * Strings are hashed as their UTF-16LE bytes, two code units per block, so
 * `murmur3String(s, seed) === murmur3Bytes(utf16le(s), seed)` without
 * encoding the string first.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mixTail(h: number, tail: number): number {
  let k = Math.imul(tail, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  return h ^ k;
}

function finalize(h: number, byteLength: number): number {
  h ^= byteLength;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The reference form over bytes. */
export function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  let h = seed | 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixBlock(
      h,
      (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24),
    );
  }
  const rest = bytes.length & 3;
  if (rest > 0) {
    let tail = bytes[blocks] as number;
    if (rest > 1) {
      tail |= (bytes[blocks + 1] as number) << 8;
    }
    if (rest > 2) {
      tail |= (bytes[blocks + 2] as number) << 16;
    }
    h = mixTail(h, tail);
  }
  return finalize(h, bytes.length);
}

/** The hash of the string's UTF-16LE bytes, read straight from the code units. */
export function murmur3String(text: string, seed: number): number {
  let h = seed | 0;
  const length = text.length;
  const pairs = length & ~1;
  for (let i = 0; i < pairs; i += 2) {
    h = mixBlock(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
  }
  if (length & 1) {
    h = mixTail(h, text.charCodeAt(length - 1));
  }
  return finalize(h, length * 2);
}
