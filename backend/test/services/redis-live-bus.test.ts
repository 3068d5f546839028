/**
 * The Redis live bus against a real Redis, held to the same behaviour as its
 * memory twin: numbering (from the clock: seqs are named relative to a query's
 * first), the replay ring's edges, the snapshot state and its
 * horizon, in-order delivery to watchers on another connection, the query
 * registry's leases and the leadership lease.
 */
import Redis from 'ioredis';
import { NotLeaderError, SEQS_PER_MS, type LiveBus, type LiveFrame, type NewFrame } from '../../src/live/live-bus';
import { MemoryLiveBus } from '../../src/live/memory-live-bus';
import { RedisLiveBus } from '../../src/live/redis-live-bus';
import { waitFor } from '../support';
import { REDIS_URL } from './services-env';

/**
 * Leases are long enough that a stalled test process (a loaded CI machine) does not see one lapse
 * between two calls meant to fall inside it; waiting one out costs real time only on Redis.
 */
const LEASE_MS = 1000;
const OPTIONS = { replayFrames: 5, queryLeaseMs: LEASE_MS };

function frame(start: number, value: number, final = false, series: Record<string, string> = { type: 'a' }): NewFrame {
  return { kind: 'update', series, window: { start, end: start + 1000 }, value, final };
}

const redis = new Redis(REDIS_URL);
const buses: LiveBus[] = [];
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  redis.disconnect();
});

/** A bus maker, and how `ms` pass for its leases (the memory twin's clock runs ahead; Redis's leases need a real wait). */
function makers(): Array<[string, () => LiveBus, (ms: number) => Promise<void>]> {
  const namespace = `bus-test-${Date.now().toString(36)}-${process.pid}`;
  let ahead = 0;
  return [
    [
      'memory',
      () => new MemoryLiveBus(OPTIONS, () => Date.now() + ahead),
      async (ms) => {
        ahead += ms;
      },
    ],
    [
      'redis',
      () => {
        const bus = new RedisLiveBus(redis, `${namespace}-${buses.length}`, OPTIONS);
        buses.push(bus);
        return bus;
      },
      (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ],
  ];
}

/** The bus as the composer's: only the lease holder may publish. */
async function leading(bus: LiveBus): Promise<LiveBus> {
  expect(await bus.lead('composer', 60_000)).toBe(true);
  return bus;
}

describe.each(makers())('%s live bus', (_name, make, pass) => {
  it('refuses to publish for an instance without the leadership lease', async () => {
    const bus = make();
    await expect(bus.publish('f', [frame(1000, 1)], 0)).rejects.toBeInstanceOf(NotLeaderError);
    expect(await bus.lead('c1', LEASE_MS)).toBe(true);
    const first = await bus.publish('f', [frame(1000, 1)], 0);
    expect((first - 1) % SEQS_PER_MS).toBe(0);
    await pass(LEASE_MS + 50); // c1 stalls past its lease
    await expect(bus.publish('f', [frame(1000, 2)], 0)).rejects.toBeInstanceOf(NotLeaderError);
    expect((await bus.snapshot('f'))?.seq).toBe(first);
  });

  it('numbers frames, keeps the latest per window in the state and drops windows before the horizon', async () => {
    const bus = await leading(make());
    expect(await bus.snapshot('q')).toBeUndefined();
    // An empty first publish starts the numbering: its base, from the clock.
    const base = await bus.publish('q', [], 0);
    expect(base % SEQS_PER_MS).toBe(0);
    expect(await bus.snapshot('q')).toEqual({ seq: base, frames: [] });
    expect(await bus.publish('q', [frame(1000, 1), frame(2000, 5)], 0)).toBe(base + 2);
    expect(await bus.publish('q', [frame(1000, 2, true), frame(3000, 7, false, { type: 'b' })], 2500)).toBe(base + 4);
    const snapshot = await bus.snapshot('q');
    // Window [1000, 2000) ends before the horizon 2500: dropped; [2000, 3000) ends after it: kept.
    expect(snapshot?.seq).toBe(base + 4);
    expect(snapshot?.frames.map((f) => [f.seq - base, f.window.start, f.value])).toEqual([
      [2, 2000, 5],
      [4, 3000, 7],
    ]);
  });

  it('replays what followed a seq while the ring holds it, and answers undefined beyond it', async () => {
    const bus = await leading(make());
    let last = 0;
    for (let i = 0; i < 8; i++) {
      last = await bus.publish('r', [frame(i * 1000, i)], 0);
    }
    const base = last - 8;
    const nth = (frames: LiveFrame[] | undefined) => frames?.map((f) => f.seq - base);
    // Ring of 5: frames 4..8.
    expect(nth(await bus.replay('r', base + 3))).toEqual([4, 5, 6, 7, 8]);
    expect(nth(await bus.replay('r', base + 6))).toEqual([7, 8]);
    expect(await bus.replay('r', base + 8)).toEqual([]);
    expect(await bus.replay('r', base + 2)).toBeUndefined();
    expect(await bus.replay('r', base + 9)).toBeUndefined();
    expect(await bus.replay('r', 3)).toBeUndefined(); // a seq of no numbering of the query
    expect(await bus.replay('never', 0)).toBeUndefined();
  });

  it('delivers every batch to watchers in seq order, and stops after unwatch', async () => {
    const bus = await leading(make());
    const received: LiveFrame[] = [];
    const listener = (frames: readonly LiveFrame[]) => received.push(...frames);
    await bus.watch('w', listener);
    for (let i = 0; i < 20; i++) {
      void bus.publish('w', [frame(i * 1000, i), frame(i * 1000, i + 0.5)], 0);
    }
    await waitFor(() => (received.length === 40 ? true : undefined), '40 frames', 5000);
    const base = (received[0] as LiveFrame).seq - 1;
    expect(base % SEQS_PER_MS).toBe(0);
    expect(received.map((f) => f.seq - base)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await bus.unwatch('w', listener);
    await bus.publish('w', [frame(0, 1)], 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(40);
  });

  it('keeps registered queries for their lease and announces new ones', async () => {
    const bus = make();
    const announced: string[] = [];
    await bus.onRegistered((query) => announced.push(query.key));
    const query = { key: 'k1', query: { metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } } };
    await bus.register([query]);
    await bus.register([query]);
    expect(await bus.activeQueries()).toEqual([query]);
    await waitFor(() => (announced.length > 0 ? true : undefined), 'announcement', 2000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Announced once: the second registration only renewed the lease.
    expect(announced).toEqual(['k1']);
    await pass(LEASE_MS + 50);
    expect(await bus.activeQueries()).toEqual([]);
  });

  it('grants the leadership lease to one instance at a time', async () => {
    const bus = make();
    expect(await bus.lead('a', LEASE_MS)).toBe(true);
    expect(await bus.lead('b', LEASE_MS)).toBe(false);
    expect(await bus.lead('a', LEASE_MS)).toBe(true);
    await bus.resign('b');
    expect(await bus.lead('b', LEASE_MS)).toBe(false);
    await bus.resign('a');
    expect(await bus.lead('b', LEASE_MS)).toBe(true);
    await pass(LEASE_MS + 50);
    expect(await bus.lead('a', LEASE_MS)).toBe(true);
  });
});
