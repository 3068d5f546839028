import { exceedsBytes, exceedsDepth, quote } from './frame';

/** A random string over ASCII, 2- and 3-byte characters, surrogate pairs and lone surrogates. */
function randomText(random: () => number, length: number): string {
  const pool = ['a', '"', '\\', 'é', '€', '😀', '\ud800', '\udc00', '{', ']'];
  let text = '';
  for (let i = 0; i < length; i++) {
    text += pool[Math.floor(random() * pool.length)];
  }
  return text;
}

function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('exceedsBytes', () => {
  it('agrees with the UTF-8 encoder on every limit around the true size', () => {
    const random = seeded(7);
    for (let n = 0; n < 500; n++) {
      const text = randomText(random, Math.floor(random() * 40));
      const bytes = Buffer.byteLength(text, 'utf8');
      for (const limit of [bytes - 1, bytes, bytes + 1, text.length, text.length * 3]) {
        expect(exceedsBytes(text, limit)).toBe(bytes > limit);
      }
    }
  });
});

describe('exceedsDepth', () => {
  it('counts nesting of valid JSON exactly and ignores brackets in strings', () => {
    const nest = (depth: number) => '['.repeat(depth) + '"[{\\"]"' + ']'.repeat(depth);
    expect(exceedsDepth(nest(8), 8)).toBe(false);
    expect(exceedsDepth(nest(9), 8)).toBe(true);
    expect(exceedsDepth('{"a":{"b":[1,{"c":"}}}}}}}}}}"}]}}', 4)).toBe(false);
    expect(exceedsDepth('{"a":{"b":[1,{"c":"}}}}}}}}}}"}]}}', 3)).toBe(true);
  });
});

describe('quote', () => {
  it('bounds and escapes client text for messages', () => {
    expect(quote('abc')).toBe('"abc"');
    expect(quote('x'.repeat(100), 4)).toBe('"xxxx..."');
    expect(quote('a\nb\u202e😀')).toBe('"a\\nb\\u202e\\ud83d\\ude00"');
  });
});
