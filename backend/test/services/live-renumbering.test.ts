/**
 * A query's numbering that starts again on the real Redis: its bus keys gone (expired after an hour
 * without a publish, or Redis lost its data), the next publish numbers it anew from Redis's clock,
 * above every seq a client may still hold. A gateway over the Redis bus (the embedded tests'
 * harness with a RedisLiveBus) must then answer an old seq's resume with a fresh snapshot, and a
 * client watching through the restart must get a fresh snapshot, never frames of the new numbering
 * taken for those that followed its seq.
 */
import Redis from 'ioredis';
import { DEFAULT_LIMITS, type SnapshotMessage } from '@panecast/protocol';
import { numberingBase, SEQS_PER_MS, type LiveFrame } from '../../src/live/live-bus';
import { RedisLiveBus } from '../../src/live/redis-live-bus';
import { EVENTS, T0, keyOf, startHarness, update, type Harness, type TestClient } from '../embedded/live-harness';
import { REDIS_URL } from './services-env';

const REPLAY = 8;
const redis = new Redis(REDIS_URL);
let namespace: string;
let h: Harness;

/** Redis's clock in epoch ms. */
async function redisMs(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Every key the bus holds for its queries: what an expiry (an hour without a publish) or a lost Redis takes. */
async function dropQueryKeys(): Promise<number> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `panecast:${namespace}:live:q:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys.length === 0 ? 0 : redis.del(...keys);
}

async function publishMany(count: number, from: number): Promise<number> {
  let seq = 0;
  for (let i = 0; i < count; i++) {
    seq = await h.publish(EVENTS, [update({ type: i % 2 === 0 ? 'click' : 'view' }, T0, from + i)]);
  }
  return seq;
}

async function watching(resume?: number): Promise<TestClient> {
  const client = await h.connect();
  await client.open();
  client.subscribe('A', EVENTS, resume === undefined ? {} : { resume: { seq: resume } });
  return client;
}

beforeEach(async () => {
  namespace = `renumbering-${Date.now().toString(36)}-${process.pid}`;
  const bus = new RedisLiveBus(redis, namespace, { replayFrames: REPLAY, queryLeaseMs: 60_000 });
  h = await startHarness({ bus, limits: { ...DEFAULT_LIMITS, replayFrames: REPLAY } });
});

afterEach(async () => {
  await h.close();
  // The harness leads with a lease that never lapses: leave nothing of this run behind.
  await dropQueryKeys();
  await redis.del(`panecast:${namespace}:live:leader`, `panecast:${namespace}:live:queries`, `panecast:${namespace}:live:leases`);
});

afterAll(() => redis.disconnect());

describe('the Redis bus', () => {
  it("starts a query's numbering at Redis's clock × SEQS_PER_MS and writes its 16-digit seqs exactly everywhere", async () => {
    const received: LiveFrame[] = [];
    await h.bus.watch(keyOf(EVENTS), (frames) => received.push(...frames));
    const before = await redisMs();
    const last = await publishMany(3, 1);
    const after = await redisMs();
    const base = last - 3;
    expect(base % SEQS_PER_MS).toBe(0);
    expect(base).toBeGreaterThanOrEqual(numberingBase(before));
    expect(base).toBeLessThanOrEqual(numberingBase(after));
    const expected = [base + 1, base + 2, base + 3];
    // Lua prints numbers with 14 significant digits: each place the script writes a seq must hold it whole.
    const [seqKey] = await redis.keys(`panecast:${namespace}:live:q:*:seq`);
    expect(await redis.get(seqKey as string)).toBe(String(base + 3));
    expect((await h.bus.replay(keyOf(EVENTS), base))?.map((f) => f.seq)).toEqual(expected);
    expect((await h.bus.snapshot(keyOf(EVENTS)))?.seq).toBe(base + 3);
    expect((await h.bus.snapshot(keyOf(EVENTS)))?.frames.map((f) => f.seq)).toEqual([base + 3, base + 2]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((f) => f.seq)).toEqual(expected);
  });

  it('numbers a query anew above the old numbering once its keys are gone, and replays no old seq from the new ring', async () => {
    const old = await publishMany(3, 1);
    expect(await dropQueryKeys()).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2)); // the old numbering lived at least a millisecond
    const renumbered = await publishMany(REPLAY, 10);
    const firstNew = renumbered - REPLAY + 1;
    expect(firstNew).toBeGreaterThan(old + 1);
    expect((firstNew - 1) % SEQS_PER_MS).toBe(0);
    expect(await h.bus.replay(keyOf(EVENTS), old)).toBeUndefined();
    expect(await h.bus.replay(keyOf(EVENTS), old - 2)).toBeUndefined();
    expect((await h.bus.replay(keyOf(EVENTS), renumbered - 2))?.map((f) => f.seq)).toEqual([renumbered - 1, renumbered]);
  });

  it('drops a ring the seq key outlived (evicted alone), so the ring never holds two numberings', async () => {
    const old = await publishMany(3, 1);
    const seqKeys = await redis.keys(`panecast:${namespace}:live:q:*:seq`);
    expect(seqKeys).toHaveLength(1);
    await redis.del(seqKeys[0] as string);
    const renumbered = await publishMany(2, 10);
    expect(await h.bus.replay(keyOf(EVENTS), old)).toBeUndefined();
    expect((await h.bus.replay(keyOf(EVENTS), renumbered - 2))?.map((f) => f.seq)).toEqual([renumbered - 1, renumbered]);
    const ring = await redis.lrange(seqKeys[0]?.replace(/:seq$/, ':ring') as string, 0, -1);
    expect(ring.map((text) => (JSON.parse(text) as LiveFrame).seq)).toEqual([renumbered - 1, renumbered]);
  });
});

describe('a gateway over the Redis bus', () => {
  it('answers a resume from a seq of the old numbering with a fresh snapshot, not resumed: true with frames of the new one', async () => {
    await publishMany(3, 1);
    const before = await watching();
    expect(await before.take(2)).toMatchObject([{ type: 'subscribed', resumed: false }, { type: 'snapshot' }]);
    await publishMany(2, 5);
    await before.take(2);
    const held = before.lastSeq.get('A') as number;
    before.socket.close();
    await before.closed;
    // The client is away; the query's keys go (expiry or a lost Redis) and it is numbered anew,
    // with more frames than the client's old seq counts from its own start.
    await dropQueryKeys();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const last = await publishMany(REPLAY - 1, 100);
    const after = await watching(held);
    const [subscribed, snapshot] = await after.take(2);
    expect(subscribed).toEqual({ type: 'subscribed', id: 'r-A', sub: 'A', resumed: false });
    expect(snapshot).toMatchObject({ type: 'snapshot', sub: 'A', seq: last, fresh: true });
    // Only the new numbering's values: the state went with the keys.
    expect((snapshot as SnapshotMessage).windows.map((w) => [w.series.type, w.value])).toEqual([
      ['click', 106],
      ['view', 105],
    ]);
    const next = await publishMany(1, 200);
    expect(await after.next()).toMatchObject({ type: 'update', sub: 'A', seq: next, value: 200 });
    await after.quiet();
    expect(after.violations).toEqual([]);
  });

  it('gives a client that watches through the restart a fresh snapshot: the forward jump is no gap to repair and no coalescing', async () => {
    await publishMany(3, 1);
    const client = await watching();
    await client.take(2);
    await publishMany(1, 4);
    expect(await client.next()).toMatchObject({ type: 'update', value: 4 });
    const held = client.lastSeq.get('A') as number;
    await dropQueryKeys();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const first = await publishMany(1, 50);
    expect(first).toBeGreaterThan(held + 1);
    const snapshot = await client.next();
    expect(snapshot).toMatchObject({ type: 'snapshot', sub: 'A', seq: first, fresh: true, windows: [{ series: { type: 'click' }, value: 50 }] });
    const next = await publishMany(1, 60);
    expect(await client.next()).toMatchObject({ type: 'update', sub: 'A', seq: next, value: 60 });
    await client.quiet();
    expect(client.violations).toEqual([]);
    expect(h.gateway.stats()).toMatchObject({ resyncs: 1, gapsRepaired: 0 });
  });
});
