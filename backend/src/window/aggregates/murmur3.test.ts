import { murmur3Bytes, murmur3String } from './murmur3';

describe('murmur3 (x86, 32-bit)', () => {
  it('matches the published test vectors', () => {
    const vectors: [number[] | string, number, number][] = [
      [[], 0, 0],
      [[], 1, 0x514e28b7],
      [[], 0xffffffff, 0x81f16f39],
      [[0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
      [[0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
      [[0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
      [[0x21, 0x43, 0x65], 0, 0x7e4a8634],
      [[0x21, 0x43], 0, 0xa0f7b07a],
      [[0x21], 0, 0x72661cf4],
      [[0, 0, 0, 0], 0, 0x2362f9de],
      ['Hello, world!', 0x9747b28c, 0x24884cba],
      ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ];
    for (const [input, seed, expected] of vectors) {
      const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : Uint8Array.from(input);
      expect(murmur3Bytes(bytes, seed)).toBe(expected);
    }
  });

  it('hashes a string as its UTF-16LE bytes without encoding it', () => {
    for (const text of ['', 'a', 'ab', 'abc', 'player-123456', 'émoji 🎮', 'x'.repeat(101)]) {
      const bytes = new Uint8Array(Buffer.from(text, 'utf16le'));
      expect(murmur3String(text, 0x9747b28c)).toBe(murmur3Bytes(bytes, 0x9747b28c));
    }
  });
});
