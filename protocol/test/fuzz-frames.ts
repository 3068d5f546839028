/**
 * The fuzz test's frames (src/fuzz.test.ts): random bytes, random JSON, JSON-ish token soup and
 * mutations of valid frames (deleted fields, swapped types, huge strings, deep nesting, odd
 * unicode, truncation, flipped characters), all drawn from one seeded generator.
 *
 * Reproducible: FUZZ_SEED=<n> replays a run (the test prints the seed it used).
 */
import { encode } from '../src/client';
import { PROTOCOL_VERSION } from '../src/messages';

export const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** The frame types a client may send. */
export const TYPES = new Set(['hello', 'subscribe', 'unsubscribe', 'ping']);

/** xorshift32: small and seedable; the state stays a 32-bit integer so V8 never boxes it. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

const random = prng(SEED);

/** String(value), or its JSON where String throws: an object a mutation gave a `toString` field that is not a function. */
function asText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return JSON.stringify(value) ?? '';
  }
}
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const VALID: readonly object[] = [
  { type: 'hello', version: PROTOCOL_VERSION, token: 'eyJ0ZW5hbnQiOiJhY21lIn0.c2ln' },
  {
    type: 'subscribe',
    id: 'r1',
    sub: 'A',
    query: {
      metric: 'http_latency_ms',
      aggregate: 'quantile(0.999)',
      window: { type: 'sliding', size: 60000, slide: 1000 },
      groupBy: ['service', 'route'],
      filter: { route: ['/a', '/b'], status: 200, canary: false },
    },
    resume: { seq: 41 },
  },
  {
    type: 'subscribe',
    id: 'r2',
    sub: 'B',
    query: { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 } },
  },
  { type: 'unsubscribe', id: 'r3', sub: 'A' },
  { type: 'ping', id: 'p' },
];

const KEYS = [
  'type',
  'id',
  'sub',
  'query',
  'metric',
  'aggregate',
  'window',
  'size',
  'slide',
  'groupBy',
  'filter',
  'resume',
  'seq',
  'version',
  'token',
  '__proto__',
  'constructor',
  '',
];
const ODD_STRINGS = [
  '',
  'é',
  '€',
  '😀',
  '\ud800',
  '\udfff',
  '\u0000',
  '\u202e',
  '\ufeff',
  'subscribe',
  'tumbling',
  'sliding',
  'p99',
  'quantile(0.5)',
  '𝔘𝔫𝔦',
];

function randomString(): string {
  const roll = random();
  if (roll < 0.01) {
    return 'x'.repeat(1000 + int(random() < 0.2 ? 100_000 : 10_000)); // huge, now and then over the frame limit
  }
  if (roll < 0.5) {
    return pick(ODD_STRINGS);
  }
  let text = '';
  const length = int(24);
  for (let i = 0; i < length; i++) {
    text += String.fromCharCode(random() < 0.8 ? 0x20 + int(0x5f) : int(0x10000));
  }
  return text;
}

function randomScalar(): unknown {
  switch (int(8)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return int(100_000);
    case 3:
      return pick([-1, 0, -0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, PROTOCOL_VERSION]);
    default:
      return randomString();
  }
}

function randomJson(depth: number): unknown {
  if (depth <= 0 || random() < 0.3) {
    return randomScalar();
  }
  if (random() < 0.5) {
    return Array.from({ length: int(5) }, () => randomJson(depth - 1));
  }
  const object: Record<string, unknown> = {};
  const size = int(6);
  for (let i = 0; i < size; i++) {
    object[random() < 0.7 ? pick(KEYS) : randomString()] = randomJson(depth - 1);
  }
  if (random() < 0.5) {
    object.type = pick([...TYPES, 'publish', '']);
  }
  return object;
}

function randomBytes(): string {
  const bytes = new Uint8Array(int(random() < 0.01 ? 70_000 : 512));
  // Four bytes per draw: byte-at-a-time drawing dominated the run.
  for (let i = 0; i < bytes.length; i += 4) {
    const word = (random() * 4_294_967_296) >>> 0;
    bytes[i] = word & 0xff;
    bytes[i + 1] = (word >>> 8) & 0xff;
    bytes[i + 2] = (word >>> 16) & 0xff;
    bytes[i + 3] = word >>> 24;
  }
  return Buffer.from(bytes).toString(random() < 0.5 ? 'utf8' : 'latin1');
}

function tokenSoup(): string {
  const tokens = [
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '"type"',
    '"subscribe"',
    '"ping"',
    '"id"',
    '"x"',
    'true',
    'null',
    '1e999',
    '-0',
    '0.5',
    '"\\u0000"',
    '"\\ud800"',
    ' ',
  ];
  let text = '';
  const count = int(60);
  for (let i = 0; i < count; i++) {
    text += pick(tokens);
  }
  return text;
}

/** Paths of every value inside a JSON tree. */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(path);
      paths(child, path, out);
    }
  }
  return out;
}

function mutate(valid: object): string {
  const frame = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  const all = paths(frame);
  const mutations = 1 + int(3);
  for (let m = 0; m < mutations && all.length > 0; m++) {
    const path = pick(all);
    let parent = frame as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      const next = parent[key];
      if (typeof next !== 'object' || next === null) {
        break;
      }
      parent = next as Record<string | number, unknown>;
    }
    const last = path[path.length - 1] as string | number;
    switch (int(6)) {
      case 0:
        delete parent[last];
        break;
      case 1:
        parent[last] = randomScalar(); // type swap
        break;
      case 2:
        parent[last] = 'y'.repeat(1000 + int(random() < 0.2 ? 100_000 : 20_000)); // huge string
        break;
      case 3: {
        let nested: unknown = parent[last];
        const depth = 2 + int(random() < 0.05 ? 5000 : 12);
        for (let i = 0; i < depth; i++) {
          nested = random() < 0.5 ? [nested] : { v: nested };
        }
        parent[last] = nested;
        break;
      }
      case 4:
        parent[last] = pick(ODD_STRINGS) + asText(parent[last]) + pick(ODD_STRINGS);
        break;
      default:
        parent[random() < 0.5 ? pick(KEYS) : randomString()] = randomJson(3);
    }
  }
  let text: string;
  try {
    text = JSON.stringify(frame);
  } catch {
    text = '{"type":"ping","id":"deep"}'; // a nesting too deep for JSON.stringify itself
  }
  const textual = random();
  if (textual < 0.1) {
    return text.slice(0, int(text.length + 1)); // truncated
  }
  if (textual < 0.2 && text.length > 0) {
    const at = int(text.length);
    return text.slice(0, at) + String.fromCharCode(int(128)) + text.slice(at + 1); // flipped character
  }
  if (textual < 0.25) {
    return text.replace('{', '{"type":"ping","id":"dup",'); // duplicate keys: the last one wins
  }
  return text;
}

/** The next frame to parse: one of the kinds above, drawn at random. */
export function nextFrame(): string {
  const roll = random();
  if (roll < 0.15) return randomBytes();
  if (roll < 0.3) return JSON.stringify(randomJson(1 + int(12))) ?? 'null';
  if (roll < 0.4) return tokenSoup();
  if (roll < 0.45) return encode(pick(VALID) as never);
  return mutate(pick(VALID));
}
