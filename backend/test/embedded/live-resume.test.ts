/**
 * Resume and fan-out: a client that reconnects with its last seq gets
 * exactly what it missed from the replay ring, or a snapshot flagged fresh,
 * never a silent gap; clients watching the same query get the same bytes.
 */
import { DEFAULT_LIMITS, type ServerMessage } from '@panecast/protocol';
import { EVENTS, T0, sleep, span, startHarness, update, type Harness, type TestClient } from './live-harness';

const REPLAY = 8;
let h: Harness;

beforeEach(async () => {
  h = await startHarness({ limits: { ...DEFAULT_LIMITS, replayFrames: REPLAY } });
});

afterEach(async () => {
  await h.close();
});

/** A client subscribed to EVENTS as `sub`, past its snapshot. */
async function watching(sub = 'A'): Promise<TestClient> {
  const client = await h.connect();
  await client.open();
  client.subscribe(sub, EVENTS);
  expect(await client.take(2)).toMatchObject([{ type: 'subscribed', sub }, { type: 'snapshot', sub }]);
  return client;
}

/** A numbered frame as [n, value]: n counts from the start of EVENTS' numbering (h.seq). */
function nthAndValue(frame: ServerMessage): [number, number] {
  return [(frame as { seq: number }).seq - h.seq(EVENTS, 0), (frame as { value: number }).value];
}

/** Publishes `count` frames, one batch each, values from `from`. */
async function publishMany(count: number, from = 0): Promise<number> {
  let seq = 0;
  for (let i = 0; i < count; i++) {
    seq = await h.publish(EVENTS, [update({ type: i % 2 === 0 ? 'click' : 'view' }, T0 + 1000 * Math.floor(i / 4), from + i)]);
  }
  return seq;
}

describe('resume', () => {
  it('replays exactly the missed frames from the ring, then the live stream', async () => {
    await publishMany(3);
    const first = await watching();
    await publishMany(2, 100);
    await first.take(2);
    const last = first.lastSeq.get('A') as number;
    expect(last).toBe(h.seq(EVENTS, 5));
    first.socket.close();
    await first.closed;

    await publishMany(4, 200); // frames 6..9, missed while away
    const second = await h.connect();
    await second.open();
    second.subscribe('A', EVENTS, { resume: { seq: last } });
    const frames = await second.take(5);
    expect(frames[0]).toEqual({ type: 'subscribed', id: 'r-A', sub: 'A', resumed: true });
    expect(frames.slice(1).map(nthAndValue)).toEqual([[6, 200], [7, 201], [8, 202], [9, 203]]);
    expect(frames.some((f) => f.type === 'snapshot')).toBe(false);
    await publishMany(1, 300);
    expect(await second.next()).toMatchObject({ type: 'update', sub: 'A', seq: h.seq(EVENTS, 10), value: 300 });
    await second.quiet();
    expect(second.violations).toEqual([]);
  });

  it('resumes with nothing to replay when the client is up to date', async () => {
    const seq = await publishMany(3);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS, { resume: { seq } });
    expect(await client.next()).toEqual({ type: 'subscribed', id: 'r-A', sub: 'A', resumed: true });
    await client.quiet();
  });

  it('answers a resume beyond the ring with a snapshot flagged fresh', async () => {
    const seq = await publishMany(3);
    await publishMany(REPLAY + 4, 10);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS, { resume: { seq } });
    const [subscribed, snapshot] = await client.take(2);
    expect(subscribed).toEqual({ type: 'subscribed', id: 'r-A', sub: 'A', resumed: false });
    expect(snapshot).toMatchObject({ type: 'snapshot', sub: 'A', seq: h.seq(EVENTS, 3 + REPLAY + 4), fresh: true });
    expect((snapshot as { windows: unknown[] }).windows.length).toBeGreaterThan(0);
    await publishMany(1, 99);
    expect(await client.next()).toMatchObject({ type: 'update', seq: h.seq(EVENTS, 3 + REPLAY + 5) });
    expect(client.violations).toEqual([]);
  });

  it('resumes exactly at the edge of the ring, and one frame past it gets a fresh snapshot', async () => {
    const total = await publishMany(REPLAY + 5);
    const oldest = total - REPLAY; // the ring holds oldest + 1 … total
    const edge = await h.connect();
    await edge.open();
    edge.subscribe('A', EVENTS, { resume: { seq: oldest } });
    const frames = await edge.take(REPLAY + 1);
    expect(frames[0]).toMatchObject({ type: 'subscribed', resumed: true });
    expect(frames.slice(1).map((f) => (f as { seq: number }).seq)).toEqual(Array.from({ length: REPLAY }, (_, i) => oldest + 1 + i));
    expect(edge.violations).toEqual([]);

    const past = await h.connect();
    await past.open();
    past.subscribe('A', EVENTS, { resume: { seq: oldest - 1 } });
    expect(await past.take(2)).toMatchObject([{ type: 'subscribed', resumed: false }, { type: 'snapshot', seq: total, fresh: true }]);
  });

  it('answers a resume from a seq ahead of the server with a fresh snapshot', async () => {
    const seq = await publishMany(3);
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS, { resume: { seq: seq + 50 } });
    expect(await client.take(2)).toMatchObject([
      { type: 'subscribed', resumed: false },
      { type: 'snapshot', sub: 'A', seq, fresh: true },
    ]);
  });

  it('loses and repeats nothing published while the ring is read', async () => {
    const seq = await publishMany(2);
    const replay = h.bus.replay.bind(h.bus);
    // Frames published just before and just after the gateway reads the ring: held and replayed both.
    h.bus.replay = async (key, afterSeq) => {
      await publishMany(2, 50);
      const frames = await replay(key, afterSeq);
      await publishMany(2, 60);
      return frames;
    };
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS, { resume: { seq } });
    const frames = await client.take(5);
    expect(frames[0]).toMatchObject({ type: 'subscribed', resumed: true });
    expect(frames.slice(1).map(nthAndValue)).toEqual([[3, 50], [4, 51], [5, 60], [6, 61]]);
    await client.quiet();
    expect(client.violations).toEqual([]);
  });

  it('loses and repeats nothing published while the snapshot is read', async () => {
    await publishMany(2);
    const snapshot = h.bus.snapshot.bind(h.bus);
    h.bus.snapshot = async (key) => {
      await publishMany(2, 50);
      const taken = await snapshot(key);
      await publishMany(2, 60);
      return taken;
    };
    const client = await h.connect();
    await client.open();
    client.subscribe('A', EVENTS);
    const frames = await client.take(4);
    expect(frames[1]).toMatchObject({ type: 'snapshot', seq: h.seq(EVENTS, 4) });
    expect(frames.slice(2).map(nthAndValue)).toEqual([[5, 60], [6, 61]]);
    await client.quiet();
    expect(client.violations).toEqual([]);
  });
});

describe('a numbering that starts again (the process restarted)', () => {
  it('answers a resume from a seq of the previous process with a fresh snapshot, not frames of the new numbering', async () => {
    await publishMany(3);
    const before = await watching();
    await publishMany(2, 10);
    await before.take(2);
    const held = before.lastSeq.get('A') as number;
    expect(held).toBe(h.seq(EVENTS, 5));
    // The process stops (the client loses its connection) and starts again: a new bus numbers the query anew.
    await h.close();
    await sleep(2); // a restart takes more than the millisecond of the clock a numbering starts from
    h = await startHarness({ limits: { ...DEFAULT_LIMITS, replayFrames: REPLAY } });
    // More frames than the old process had: numbered 1, 2, … in each process, the old seq would lie inside this ring.
    await publishMany(7, 100);
    const after = await h.connect();
    await after.open();
    after.subscribe('A', EVENTS, { resume: { seq: held } });
    const [subscribed, snapshot] = await after.take(2);
    expect(subscribed).toEqual({ type: 'subscribed', id: 'r-A', sub: 'A', resumed: false });
    expect(snapshot).toMatchObject({ type: 'snapshot', sub: 'A', seq: h.seq(EVENTS, 7), fresh: true });
    // The new process's latest value of each type × window (click, view at T0; at T0 + 1000), all of them.
    expect((snapshot as { windows: Array<{ value: number }> }).windows.map((w) => w.value)).toEqual([102, 103, 106, 105]);
    expect(held).toBeLessThan(h.seq(EVENTS, 1));
    await publishMany(1, 200);
    expect(await after.next()).toMatchObject({ type: 'update', sub: 'A', seq: h.seq(EVENTS, 8), value: 200 });
    await after.quiet();
    expect(after.violations).toEqual([]);
  });
});

describe("frames lost on the gateway's bus link", () => {
  /** A subscribed client, and a way to drop the bus messages of the next `publish` calls. */
  async function watchingWithLink(): Promise<{ client: TestClient; lose: (publish: () => Promise<unknown>) => Promise<void> }> {
    const watch = jest.spyOn(h.bus, 'watch');
    const client = await watching();
    const [key, listener] = watch.mock.calls[0] as Parameters<typeof h.bus.watch>;
    const lose = async (publish: () => Promise<unknown>) => {
      await h.bus.unwatch(key, listener);
      await publish();
      await h.bus.watch(key, listener);
    };
    return { client, lose };
  }

  // Before: the gateway's hub has seen no batch of the query yet, so the session itself spots the gap.
  // After: the hub knows the last seq of the query and repairs it once for all its watchers.
  it.each([
    ['before', 0],
    ['after', 1],
  ])('%s the first batch are repaired from the ring: the client sees no gap', async (_when, warmup) => {
    await publishMany(2);
    const { client, lose } = await watchingWithLink();
    await publishMany(warmup, 5);
    await client.take(warmup);
    const seen = 2 + warmup;
    await lose(() => publishMany(3, 10));
    await publishMany(2, 20);
    const frames = await client.take(5);
    expect(frames.map(nthAndValue)).toEqual([[seen + 1, 10], [seen + 2, 11], [seen + 3, 12], [seen + 4, 20], [seen + 5, 21]]);
    await client.quiet();
    expect(client.violations).toEqual([]);
    expect(h.gateway.stats().gapsRepaired).toBe(warmup);
  });

  it.each([
    ['before', 0],
    ['after', 1],
  ])('%s the first batch, beyond the ring, give the client a fresh snapshot, never a silent gap', async (_when, warmup) => {
    await publishMany(2);
    const { client, lose } = await watchingWithLink();
    await publishMany(warmup, 5);
    await client.take(warmup);
    await lose(() => publishMany(REPLAY + 2, 10));
    const revealing = await publishMany(1, 50);
    const snapshot = await client.next();
    expect(snapshot).toMatchObject({ type: 'snapshot', sub: 'A', seq: revealing, fresh: true });
    await publishMany(1, 60);
    expect(await client.next()).toMatchObject({ type: 'update', seq: revealing + 1, value: 60 });
    await client.quiet();
    expect(client.violations).toEqual([]);
    expect(h.gateway.stats().resyncs).toBe(warmup);
  });
});

describe('fan-out', () => {
  it('sends byte-identical update frames to every client of a query (sub id aside)', async () => {
    await publishMany(2);
    const clients = [await watching('A'), await watching('A'), await watching('other')];
    const seq = await publishMany(20, 1000);
    for (const client of clients) {
      await client.take(20);
      expect(client.lastSeq.values().next().value).toBe(seq);
      expect(client.violations).toEqual([]);
    }
    const texts = clients.map((client) => client.received.filter((r) => r.message.type === 'update').map((r) => r.text));
    expect(texts[0]).toHaveLength(20);
    expect(texts[1]).toEqual(texts[0]);
    expect(texts[2]).toEqual(texts[0]?.map((text) => text.replace('"sub":"A"', '"sub":"other"')));
    expect(texts[0]?.[0]).toBe(`{"type":"update","sub":"A","seq":${h.seq(EVENTS, 3)},"series":{"type":"click"},"window":{"start":${T0},"end":${T0 + 1000}},"value":1000,"final":false}`);
  });

  it('serves the same snapshot to clients that join at the same point', async () => {
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 1), update({ type: 'view' }, T0, 2)]);
    const a = await h.connect();
    const b = await h.connect();
    await a.open();
    await b.open();
    a.subscribe('S', EVENTS);
    b.subscribe('S', EVENTS);
    const [sa, sb] = [await a.take(2), await b.take(2)];
    expect(sa).toEqual(sb);
    expect(sa[1]).toEqual({
      type: 'snapshot',
      sub: 'S',
      seq: h.seq(EVENTS, 2),
      windows: [
        { series: { type: 'click' }, window: span(T0), value: 1, final: false },
        { series: { type: 'view' }, window: span(T0), value: 2, final: false },
      ],
    });
  });
});
