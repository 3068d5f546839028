/**
 * The in-memory live bus: the Redis bus's contract (numbering, ring, state, registry, leases) without Redis.
 * The clock stands at 0 unless a test moves it, so most numberings start at 0: seqs 1, 2, ….
 */
import type { LiveFrame, NewFrame, RegisteredQuery } from './live-bus';
import { MemoryLiveBus } from './memory-live-bus';
import { framesAfter, NotLeaderError, numberingBase, SEQS_PER_MS } from './live-bus';

const T0 = 1_700_000_000_000;
const KEY = 'q';

function frame(series: string, start: number, value: number, kind: NewFrame['kind'] = 'update'): NewFrame {
  return { kind, series: { s: series }, window: { start, end: start + 1000 }, value, final: kind === 'correction' };
}

function query(key: string): RegisteredQuery {
  return { key, query: { metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } } };
}

let now = 0;
let bus: MemoryLiveBus;

beforeEach(async () => {
  now = 0;
  bus = new MemoryLiveBus({ replayFrames: 3, queryLeaseMs: 1000 }, () => now);
  // This bus publishes as the composer: only the lease holder may.
  await bus.lead('composer', Number.MAX_SAFE_INTEGER);
});

const settle = () => new Promise((resolve) => setImmediate(resolve));
const seqs = (frames: readonly LiveFrame[] | undefined) => frames?.map((f) => f.seq);

describe('publish and snapshot', () => {
  it('numbers frames base + 1, base + 2, … per query, the base from the clock at its first publish, and returns the last seq', async () => {
    now = T0;
    const base = numberingBase(T0);
    expect(base).toBe(T0 * SEQS_PER_MS);
    expect(await bus.publish(KEY, [frame('a', T0, 1), frame('b', T0, 2)], 0)).toBe(base + 2);
    now = T0 + 5;
    expect(await bus.publish(KEY, [frame('a', T0, 3)], 0)).toBe(base + 3);
    expect(await bus.publish('other', [frame('a', T0, 1)], 0)).toBe(numberingBase(T0 + 5) + 1);
    expect(await bus.publish(KEY, [], 0)).toBe(base + 3);
    expect(Number.isSafeInteger(numberingBase(Date.UTC(2200, 0)) + 1e9)).toBe(true);
  });

  it('keeps two series apart whose values hold the separators of the state field', async () => {
    const first: NewFrame = { kind: 'update', series: { a: 'x,b=y', b: '' }, window: { start: T0, end: T0 + 1000 }, value: 1, final: false };
    const second: NewFrame = { ...first, series: { a: 'x', b: 'y,b=' }, value: 2 };
    await bus.publish(KEY, [first, second], 0);
    expect((await bus.snapshot(KEY))?.frames.map((f) => [f.series, f.value])).toEqual([
      [{ a: 'x,b=y', b: '' }, 1],
      [{ a: 'x', b: 'y,b=' }, 2],
    ]);
  });

  it('has no snapshot until the query is first published, then one even when that publish was empty', async () => {
    expect(await bus.snapshot(KEY)).toBeUndefined();
    await bus.register([query(KEY)]);
    expect(await bus.snapshot(KEY)).toBeUndefined();
    await bus.publish(KEY, [], Number.NEGATIVE_INFINITY);
    expect(await bus.snapshot(KEY)).toEqual({ seq: 0, frames: [] });
  });

  it('keeps the latest frame per series and window, ordered by window then series, with the seq it holds up to', async () => {
    await bus.publish(KEY, [frame('b', T0 + 1000, 1), frame('b', T0, 2), frame('a', T0, 3)], 0);
    await bus.publish(KEY, [frame('b', T0, 4, 'correction')], 0);
    const snapshot = await bus.snapshot(KEY);
    expect(snapshot?.seq).toBe(4);
    expect(snapshot?.frames.map((f) => [f.window.start - T0, f.series.s, f.value, f.seq, f.kind])).toEqual([
      [0, 'a', 3, 3, 'update'],
      [0, 'b', 4, 4, 'correction'],
      [1000, 'b', 1, 1, 'update'],
    ]);
  });

  it('drops state of windows ending before the horizon, keeping those ending at it', async () => {
    await bus.publish(KEY, [frame('a', T0, 1), frame('a', T0 + 1000, 2), frame('a', T0 + 2000, 3)], 0);
    await bus.publish(KEY, [], T0 + 2000);
    expect((await bus.snapshot(KEY))?.frames.map((f) => f.value)).toEqual([2, 3]);
  });
});

describe('replay', () => {
  it('returns every frame after a seq while the ring holds them all', async () => {
    for (let v = 1; v <= 5; v++) {
      await bus.publish(KEY, [frame('a', T0, v)], 0);
    }
    // The ring holds 3, 4, 5.
    expect(seqs(await bus.replay(KEY, 2))).toEqual([3, 4, 5]);
    expect(seqs(await bus.replay(KEY, 4))).toEqual([5]);
    expect(await bus.replay(KEY, 5)).toEqual([]);
  });

  it('returns undefined when it cannot: too old, ahead of the query, negative, or an unknown query', async () => {
    for (let v = 1; v <= 5; v++) {
      await bus.publish(KEY, [frame('a', T0, v)], 0);
    }
    expect(await bus.replay(KEY, 1)).toBeUndefined();
    expect(await bus.replay(KEY, 6)).toBeUndefined();
    expect(await bus.replay(KEY, -1)).toBeUndefined();
    expect(await bus.replay('unknown', 0)).toBeUndefined();
  });

  it('trims the ring within one large batch too', async () => {
    await bus.publish(KEY, [1, 2, 3, 4, 5].map((v) => frame('a', T0, v)), 0);
    expect(await bus.replay(KEY, 1)).toBeUndefined();
    expect(seqs(await bus.replay(KEY, 2))).toEqual([3, 4, 5]);
  });
});

describe('a numbering that starts again (a restarted process: a new bus)', () => {
  it('starts above every seq of the old one, so a seq the old one gave a client is never replayed from the new ring', async () => {
    now = T0;
    for (let v = 1; v <= 3; v++) {
      await bus.publish(KEY, [frame('a', T0, v)], 0);
    }
    const held = (await bus.snapshot(KEY))?.seq as number; // what a client of the old process last applied
    // The process restarts a moment later; its bus numbers the query anew and publishes more than the old one did.
    now = T0 + 1;
    const restarted = new MemoryLiveBus({ replayFrames: 8, queryLeaseMs: 1000 }, () => now);
    await restarted.lead('composer', Number.MAX_SAFE_INTEGER);
    for (let v = 1; v <= 6; v++) {
      await restarted.publish(KEY, [frame('a', T0, 10 + v)], 0);
    }
    const ring = (await restarted.replay(KEY, numberingBase(T0 + 1))) as LiveFrame[];
    expect(seqs(ring)).toEqual([1, 2, 3, 4, 5, 6].map((n) => numberingBase(T0 + 1) + n));
    // Numbered from 1 in each process, the old seq 3 would lie inside this ring and frames 4..6 pass for what followed it.
    expect(held).toBeLessThan((ring[0] as LiveFrame).seq - 1);
    expect(await restarted.replay(KEY, held)).toBeUndefined();
  });
});

describe('framesAfter', () => {
  const numbered = (...list: number[]): LiveFrame[] => list.map((seq) => ({ ...frame('a', T0, seq), seq }));

  it('answers only a run afterSeq + 1 … seq with every frame present', () => {
    expect(seqs(framesAfter(numbered(4, 5, 6), 6, 3))).toEqual([4, 5, 6]);
    expect(framesAfter(numbered(4, 5, 6), 6, 6)).toEqual([]);
    expect(framesAfter(numbered(4, 5, 6), 6, 2)).toBeUndefined();
    expect(framesAfter(numbered(4, 5, 6), 6, 7)).toBeUndefined();
    expect(framesAfter(numbered(4, 5, 6), 6, 2.5)).toBeUndefined();
  });

  it('refuses a ring holding two numberings, whose frames would pass for a run after an old seq', () => {
    const base = numberingBase(T0);
    // An old numbering's 5, 6, then a new numbering's base + 1, base + 2: the count fits afterSeq 4 … seq, the frames do not.
    const mixed = numbered(5, 6, base + 1, base + 2);
    expect(framesAfter(mixed, base + 2, base - 2)).toBeUndefined();
    expect(framesAfter(mixed, base + 2, 4)).toBeUndefined();
    expect(seqs(framesAfter(mixed, base + 2, base))).toEqual([base + 1, base + 2]);
  });
});

describe('watch', () => {
  it('delivers each batch after the publish, in order, to every watcher until unwatched', async () => {
    const a: number[][] = [];
    const b: number[][] = [];
    const listenerA = (frames: readonly LiveFrame[]) => a.push(frames.map((f) => f.seq));
    await bus.watch(KEY, listenerA);
    await bus.watch(KEY, (frames) => b.push(frames.map((f) => f.seq)));
    const publishing = bus.publish(KEY, [frame('a', T0, 1)], 0);
    expect(a).toEqual([]); // like Pub/Sub: not inside the publish call
    await publishing;
    await bus.publish(KEY, [frame('a', T0, 2), frame('a', T0, 3)], 0);
    await bus.publish(KEY, [], 0);
    await settle();
    expect(a).toEqual([[1], [2, 3], []]);
    expect(b).toEqual(a);
    await bus.unwatch(KEY, listenerA);
    await bus.publish(KEY, [frame('a', T0, 4)], 0);
    await settle();
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(4);
  });

  it('delivers nothing after close', async () => {
    const got: unknown[] = [];
    await bus.watch(KEY, (frames) => got.push(frames));
    await bus.close();
    await bus.publish(KEY, [frame('a', T0, 1)], 0);
    await settle();
    expect(got).toEqual([]);
  });
});

describe('registry', () => {
  it('lists queries within their lease and announces each newly registered one once', async () => {
    const announced: string[] = [];
    bus.onRegistered((q) => announced.push(q.key));
    await bus.register([query('a'), query('b')]);
    now = 500;
    await bus.register([query('a')]); // a renewal: not announced again
    await settle();
    expect(announced).toEqual(['a', 'b']);
    now = 1200; // b's lease ran out at 1000, a's runs to 1500
    expect((await bus.activeQueries()).map((q) => q.key)).toEqual(['a']);
    now = 1600;
    expect(await bus.activeQueries()).toEqual([]);
  });

  it('announces a query again when it is registered after its lease ran out', async () => {
    const announced: string[] = [];
    bus.onRegistered((q) => announced.push(q.key));
    await bus.register([query('a')]);
    now = 5000; // lapsed, and nobody listed the active queries in between
    await bus.register([query('a')]);
    await settle();
    expect(announced).toEqual(['a', 'a']);
  });
});

describe('leadership', () => {
  it('grants one leader at a time, renews it, and hands over on expiry or resignation', async () => {
    bus = new MemoryLiveBus({ replayFrames: 3, queryLeaseMs: 1000 }, () => now);
    expect(await bus.lead('c1', 1000)).toBe(true);
    expect(await bus.lead('c2', 1000)).toBe(false);
    now = 900;
    expect(await bus.lead('c1', 1000)).toBe(true); // renewed to 1900
    now = 1500;
    expect(await bus.lead('c2', 1000)).toBe(false);
    now = 1900;
    expect(await bus.lead('c2', 1000)).toBe(true);
    await bus.resign('c1'); // not the holder: no effect
    expect(await bus.lead('c1', 1000)).toBe(false);
    await bus.resign('c2');
    expect(await bus.lead('c1', 1000)).toBe(true);
  });
});

describe('fencing', () => {
  it('refuses publishes unless this bus still holds the lease, and numbers nothing then', async () => {
    const fresh = new MemoryLiveBus({ replayFrames: 3, queryLeaseMs: 1000 }, () => now);
    await expect(fresh.publish(KEY, [frame('a', T0, 1)], 0)).rejects.toBeInstanceOf(NotLeaderError);
    expect(await fresh.lead('c1', 1000)).toBe(true);
    expect(await fresh.publish(KEY, [frame('a', T0, 1)], 0)).toBe(1);
    now = 2000; // the lease lapsed while c1 stalled
    await expect(fresh.publish(KEY, [frame('a', T0, 2)], 0)).rejects.toBeInstanceOf(NotLeaderError);
    expect((await fresh.snapshot(KEY))?.seq).toBe(1);
  });
});
