/**
 * Fuzz of a connected session: a fixed number of rounds (about two seconds
 * on a developer machine) of mutations of valid subscribe frames (and some
 * noise) at a live connection while the bus keeps publishing. Every answer must decode, carry a catalogue code when it is an
 * error, and keep sequences gap-free; the connection stays up unless a
 * documented close applies; the gateway's state stays bounded and is
 * released when the clients go.
 */
import { CLOSE, DEFAULT_LIMITS, type SubscribeQuery } from '@panecast/protocol';
import { ERRORS } from '../../src/errors';
import { EVENTS, SERVERS, T0, startHarness, update, type Harness, type TestClient } from './live-harness';

jest.setTimeout(20_000);

const SEED = Number(process.env.PANECAST_FUZZ_SEED ?? 20_251_128);
/**
 * Rounds of frames: a fixed count, not a duration, so a seed replays the same frames on any machine
 * (a failure seen on a slow CI run reproduces on a fast one).
 */
const ROUNDS = 200;
const FRAMES_PER_ROUND = 40;
const MAX_SUBSCRIPTIONS = 20;
/** Closes a fuzzed frame may legitimately cause (a hello of another version after the mutation). */
const DOCUMENTED = new Set<number>([CLOSE.UNSUPPORTED_VERSION, CLOSE.RATE_LIMITED, CLOSE.MESSAGE_TOO_BIG]);

/** mulberry32: small, seeded, good enough to pick mutations reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const QUERIES: SubscribeQuery[] = [
  EVENTS,
  SERVERS,
  { metric: 'http_latency_ms', aggregate: 'p99', window: { type: 'sliding', size: 60_000, slide: 1000 }, groupBy: ['service', 'route'], filter: { route: ['/a', '/b'], service: 'api' } },
  { metric: 'matches', aggregate: 'quantile(0.5)', window: { type: 'tumbling', size: 5000 }, filter: { region: 'eu', result: true } },
  { metric: 'ad_reach', aggregate: 'distinct', window: { type: 'tumbling', size: 10_000 }, groupBy: ['country'] },
  { metric: 'ad_spend', aggregate: 'rate', window: { type: 'sliding', size: 4000, slide: 2000 } },
];
const KEYS = ['type', 'id', 'sub', 'query', 'metric', 'aggregate', 'window', 'size', 'slide', 'groupBy', 'filter', 'resume', 'seq', 'version', 'token', '__proto__', 'constructor', ''];
const STRINGS = ['', 'A', 'B', 'subscribe', 'unsubscribe', 'hello', 'ping', 'tumbling', 'sliding', 'p99', 'quantile(2)', 'quantile(0.25)', 'events', 'acme__checkout_ms', 'é', '😀', '\ud800', '\u0000', 'x'.repeat(300)];
const SCALARS: unknown[] = [null, true, false, 0, -0, -1, 1.5, 999, 1000, 60_000, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 2, 3];

function randomValue(depth = 0): unknown {
  const roll = int(depth > 2 ? 2 : 4);
  if (roll === 0) {
    return pick(SCALARS);
  }
  if (roll === 1) {
    return pick(STRINGS);
  }
  if (roll === 2) {
    return Array.from({ length: int(4) }, () => randomValue(depth + 1));
  }
  return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(KEYS), randomValue(depth + 1)]));
}

/** Every object of a frame, so a mutation can land at any depth. */
function objects(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (typeof value === 'object' && value !== null) {
    if (!Array.isArray(value)) {
      out.push(value as Record<string, unknown>);
    }
    Object.values(value).forEach((child) => objects(child, out));
  }
  return out;
}

function validSubscribe(): Record<string, unknown> {
  const frame: Record<string, unknown> = { type: 'subscribe', id: `r${int(1000)}`, sub: pick(['A', 'B', 'C', `s${int(40)}`]), query: structuredClone(pick(QUERIES)) };
  if (random() < 0.3) {
    frame.resume = { seq: int(50) };
  }
  return frame;
}

function mutate(frame: Record<string, unknown>): string {
  const rounds = 1 + int(3);
  for (let i = 0; i < rounds; i++) {
    const target = pick(objects(frame));
    const keys = Object.keys(target);
    switch (int(5)) {
      case 0:
        if (keys.length > 0) {
          delete target[pick(keys)];
        }
        break;
      case 1:
        target[keys.length > 0 && random() < 0.7 ? pick(keys) : pick(KEYS)] = randomValue();
        break;
      case 2:
        if (keys.length > 0) {
          const key = pick(keys);
          target[pick(KEYS)] = target[key];
          delete target[key];
        }
        break;
      case 3:
        frame.type = pick(['subscribe', 'unsubscribe', 'ping', 'hello', 'SUBSCRIBE', '', 'snapshot']);
        break;
      default:
        target[pick(keys.length > 0 ? keys : KEYS)] = pick(STRINGS);
    }
  }
  let text = JSON.stringify(frame);
  if (random() < 0.15) {
    // Text-level damage: truncation, a flipped character, a spliced duplicate.
    const at = int(text.length);
    switch (int(3)) {
      case 0:
        text = text.slice(0, at);
        break;
      case 1:
        text = text.slice(0, at) + String.fromCharCode(int(0x10000)) + text.slice(at + 1);
        break;
      default:
        text = text.slice(0, at) + text.slice(int(text.length)) + text.slice(at);
    }
  }
  return text;
}

let h: Harness;

afterAll(async () => {
  await h.close();
});

it(`survives ${ROUNDS * FRAMES_PER_ROUND} mutated frames (seed ${SEED})`, async () => {
  h = await startHarness({
    limits: { ...DEFAULT_LIMITS, maxSubscriptions: MAX_SUBSCRIPTIONS, subscribesPerSecond: 1_000_000 },
    firstFramesTimeoutMs: 20,
  });
  for (const query of QUERIES) {
    await h.publish(query, []);
  }
  const codes = new Set(Object.keys(ERRORS));
  const clients: TestClient[] = [];
  const closes: number[] = [];
  let client = await h.connect();
  await client.open();
  clients.push(client);
  const heapBefore = process.memoryUsage().heapUsed;
  let sent = 0;
  let value = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < FRAMES_PER_ROUND; i++) {
      const roll = random();
      if (roll < 0.03) {
        client.socket.send(Buffer.from(Array.from({ length: int(64) }, () => int(256))), { binary: true });
      } else if (roll < 0.1) {
        client.send({ type: 'unsubscribe', id: `u${sent}`, sub: pick(['A', 'B', 'C', `s${int(40)}`]) });
      } else {
        client.send(mutate(validSubscribe()));
      }
      sent++;
    }
    await h.publish(EVENTS, [update({ type: pick(['click', 'view']) }, T0 + 1000 * int(3), value++)]);
    await h.publish(SERVERS, [update({ service: 'api' }, T0, value++)]);
    // A round trip per round: the gateway keeps up, and the connection is alive unless closed.
    const closed = await Promise.race([client.closed, new Promise<undefined>((resolve) => {
      const id = `barrier${sent}`;
      client.send({ type: 'ping', id });
      const poll = setInterval(() => {
        if (client.received.some((r) => r.message.type === 'pong' && r.message.id === id)) {
          clearInterval(poll);
          resolve(undefined);
        }
      }, 5);
      void client.closed.then(() => clearInterval(poll));
    })]);
    if (closed !== undefined) {
      closes.push(closed.code);
      expect(DOCUMENTED.has(closed.code)).toBe(true);
      client = await h.connect();
      await client.open();
      clients.push(client);
    }
    // Mutations make new queries too, but a connection holds at most MAX_SUBSCRIPTIONS.
    expect(h.gateway.stats().queries).toBeLessThanOrEqual(MAX_SUBSCRIPTIONS * Math.max(1, h.gateway.connections));
  }
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

  for (const each of clients) {
    expect(each.violations).toEqual([]);
    for (const { message } of each.received) {
      if (message.type === 'error') {
        expect(codes.has(message.code)).toBe(true);
      }
    }
  }
  const answered = clients.flatMap((each) => each.received).length;
  expect(answered).toBeGreaterThan(sent / 2);
  expect(closes.length).toBeLessThan(5);
  expect(heapGrowth).toBeLessThan(128 * 1024 * 1024);

  // Everything a connection held is released with it.
  clients.forEach((each) => each.socket.close());
  await Promise.all(clients.map((each) => each.closed));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(h.gateway.stats()).toMatchObject({ connections: 0, queries: 0, backlogged: 0 });
});
