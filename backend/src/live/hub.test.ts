/** The gateway's hub: one bus watch per query, frames serialized once, gaps repaired from the ring or re-synced. */
import { textFrame } from './framed-socket';
import { Hub, REPLAY_RETRY_MS, shareFrames, type SharedFrame, type Watcher } from './hub';
import { numberingBase, type FrameListener, type LiveFrame, type NewFrame, type RegisteredQuery } from './live-bus';
import { MemoryLiveBus } from './memory-live-bus';

const QUERY: RegisteredQuery = { key: 'q1', query: { metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } } };
const OTHER: RegisteredQuery = { key: 'q2', query: { metric: 'events', aggregate: 'count', window: { sizeMs: 2000 } } };
const T0 = 1_700_000_000_000;
/** The bus's clock stands at T0: every query's numbering starts at BASE, its n-th frame is BASE + n. */
const BASE = numberingBase(T0);
/** No delivery budget: every batch is delivered as it arrives (slicing and conflation: delivery-slices.test.ts). */
const UNBOUNDED = Number.POSITIVE_INFINITY;

function frame(value: number, kind: NewFrame['kind'] = 'update'): NewFrame {
  return { kind, series: { type: 'click' }, window: { start: T0, end: T0 + 1000 }, value, final: kind === 'correction' };
}

class RecordingWatcher implements Watcher {
  readonly batches: SharedFrame[][] = [];
  resyncs = 0;
  deliver(frames: readonly SharedFrame[]): void {
    this.batches.push([...frames]);
  }
  resync(): void {
    this.resyncs++;
  }
  /** The frames delivered, as the n of their seq (BASE + n). */
  get seqs(): number[] {
    return this.batches.flat().map((shared) => shared.frame.seq - BASE);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Waits until `done()` holds. For chains of short timers, not a fixed sleep: after a stall of the
 * process their expiries coalesce (a chain of three 1 ms retries can outlast a 30 ms sleep begun with it).
 */
async function until(done: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let bus: MemoryLiveBus;
let hub: Hub;

beforeEach(async () => {
  bus = new MemoryLiveBus({ replayFrames: 4, queryLeaseMs: 10_000 }, () => T0);
  await bus.lead('test-composer', Number.MAX_SAFE_INTEGER); // the test publishes as the composer
  hub = new Hub(bus, 60_000, REPLAY_RETRY_MS, UNBOUNDED);
});

afterEach(() => {
  hub.close();
});

/** The listener the hub gave the bus for `key`, to play a lost or stray Pub/Sub message. */
function busListener(watch: jest.SpyInstance): FrameListener {
  return watch.mock.calls[0][1] as FrameListener;
}

/** A fresh hub whose bus resubscription the test sets off, with one watcher attached to QUERY. */
async function hubToResubscribe(): Promise<{ watcher: RecordingWatcher; watch: jest.SpyInstance; resubscribe: () => void }> {
  hub.close();
  const resubscribed = jest.spyOn(bus, 'onResubscribed');
  hub = new Hub(bus, 60_000, REPLAY_RETRY_MS, UNBOUNDED);
  const watch = jest.spyOn(bus, 'watch');
  const watcher = new RecordingWatcher();
  await hub.attach(QUERY, watcher);
  return { watcher, watch, resubscribe: () => (resubscribed.mock.calls[0]?.[0] as () => void)() };
}

/** Publishes `frames` while the hub does not listen: their Pub/Sub message is lost, the ring keeps them. */
async function publishLost(listener: FrameListener, frames: NewFrame[]): Promise<void> {
  await bus.unwatch(QUERY.key, listener);
  await bus.publish(QUERY.key, frames, 0);
  await bus.watch(QUERY.key, listener);
}

describe('shareFrames', () => {
  it('serializes a frame once, so that any sub id spliced in gives the exact protocol frame', () => {
    const [update, correction] = shareFrames([
      { ...frame(3), seq: 7 },
      { ...frame(4, 'correction'), seq: 8 },
    ]) as [SharedFrame, SharedFrame];
    const text = (shared: SharedFrame, sub: string) => shared.head + JSON.stringify(sub) + shared.tail;
    expect(JSON.parse(text(update, 'A'))).toEqual({ type: 'update', sub: 'A', seq: 7, series: { type: 'click' }, window: { start: T0, end: T0 + 1000 }, value: 3, final: false });
    expect(text(update, 'my "sub"')).toBe(`{"type":"update","sub":"my \\"sub\\"","seq":7,"series":{"type":"click"},"window":{"start":${T0},"end":${T0 + 1000}},"value":3,"final":false}`);
    // Corrections carry no `final`: the window stays final.
    expect(JSON.parse(text(correction, 'A'))).toEqual({ type: 'correction', sub: 'A', seq: 8, series: { type: 'click' }, window: { start: T0, end: T0 + 1000 }, value: 4 });
    // The same cell, whatever the kind: a correction supersedes an update of its window.
    expect(update.identity).toBe(correction.identity);
  });

  it('encodes the wire bytes once per sub id and shares them, caching a bounded number of ids', () => {
    const [shared] = shareFrames([{ ...frame(3), seq: 7 }]) as [SharedFrame];
    const a = shared.wire('"A"');
    expect(a.equals(textFrame(shared.text('"A"')))).toBe(true);
    // Another client with the same id (another string object) gets the very same Buffer.
    expect(shared.wire(JSON.stringify('A'))).toBe(a);
    const ids = Array.from({ length: 40 }, (_, i) => JSON.stringify(`sub-${i}`));
    for (const id of ids) {
      const wire = shared.wire(id);
      expect(wire.equals(textFrame(shared.text(id)))).toBe(true);
    }
    // Cached ids come back identical; ids past the cache are encoded afresh, still correct.
    expect(shared.wire(ids[0] as string)).toBe(shared.wire(ids[0] as string));
    const late = ids[39] as string;
    expect(shared.wire(late)).not.toBe(shared.wire(late));
    expect(shared.wire('"A"')).toBe(a);
  });
});

describe('Hub', () => {
  it('watches a query once on the bus however many watchers it has, and registers it', async () => {
    const watch = jest.spyOn(bus, 'watch');
    const unwatch = jest.spyOn(bus, 'unwatch');
    const register = jest.spyOn(bus, 'register');
    const [a, b] = [new RecordingWatcher(), new RecordingWatcher()];
    await hub.attach(QUERY, a);
    await hub.attach(QUERY, b);
    expect(watch).toHaveBeenCalledTimes(1);
    expect(register).toHaveBeenCalledWith([QUERY]);
    expect(register).toHaveBeenCalledTimes(1);
    expect(hub.queries).toBe(1);
    await hub.detach(QUERY.key, a);
    expect(unwatch).not.toHaveBeenCalled();
    await hub.detach(QUERY.key, b);
    expect(unwatch).toHaveBeenCalledTimes(1);
    expect(hub.queries).toBe(0);
    // Detaching what is not attached is harmless.
    await hub.detach(QUERY.key, b);
    await hub.detach('nope', a);
  });

  it('delivers each batch in seq order to every watcher, the same serialized frames to all', async () => {
    const [a, b] = [new RecordingWatcher(), new RecordingWatcher()];
    await hub.attach(QUERY, a);
    await hub.attach(QUERY, b);
    await bus.publish(QUERY.key, [frame(1), frame(2)], 0);
    await bus.publish(QUERY.key, [frame(3)], 0);
    await settle();
    expect(a.seqs).toEqual([1, 2, 3]);
    expect(b.batches).toHaveLength(2);
    // Serialized once per batch: both watchers hold the very same objects.
    expect(b.batches[0]?.[0]).toBe(a.batches[0]?.[0]);
  });

  it('passes an empty batch on (a first publish that marks the query composed)', async () => {
    const a = new RecordingWatcher();
    await hub.attach(QUERY, a);
    await bus.publish(QUERY.key, [], 0);
    await settle();
    expect(a.batches).toEqual([[]]);
  });

  it('keeps queries apart', async () => {
    const [a, b] = [new RecordingWatcher(), new RecordingWatcher()];
    await hub.attach(QUERY, a);
    await hub.attach(OTHER, b);
    await bus.publish(OTHER.key, [frame(1)], 0);
    await settle();
    expect(a.batches).toEqual([]);
    expect(b.seqs).toEqual([1]);
  });

  it('repairs a lost batch from the replay ring, in order, before the batch that revealed the gap', async () => {
    const watch = jest.spyOn(bus, 'watch');
    const a = new RecordingWatcher();
    await hub.attach(QUERY, a);
    const listener = busListener(watch);
    await bus.publish(QUERY.key, [frame(1)], 0);
    await settle();
    await publishLost(listener, [frame(2), frame(3)]);
    await bus.publish(QUERY.key, [frame(4)], 0);
    await bus.publish(QUERY.key, [frame(5)], 0);
    await settle();
    expect(a.seqs).toEqual([1, 2, 3, 4, 5]);
    expect(hub.gapsRepaired).toBe(1);
    expect(a.resyncs).toBe(0);
  });

  it('tells every watcher to re-sync when the ring no longer holds the lost frames, then carries on', async () => {
    const watch = jest.spyOn(bus, 'watch');
    const [a, b] = [new RecordingWatcher(), new RecordingWatcher()];
    await hub.attach(QUERY, a);
    await hub.attach(QUERY, b);
    const listener = busListener(watch);
    await bus.publish(QUERY.key, [frame(1)], 0);
    await settle();
    await publishLost(listener, [1, 2, 3, 4, 5].map((v) => frame(v))); // more than the ring of 4
    await bus.publish(QUERY.key, [frame(7)], 0);
    await bus.publish(QUERY.key, [frame(8)], 0);
    await settle();
    expect([a.resyncs, b.resyncs]).toEqual([1, 1]);
    expect(hub.resyncs).toBe(1);
    // The batch that revealed the gap is covered by the snapshot the watchers take; the next flows normally.
    expect(a.seqs).toEqual([1, 8]);
  });

  it('re-syncs when the numbering starts again above the old one (the query lost its bus state), repairing nothing', async () => {
    const watch = jest.spyOn(bus, 'watch');
    const [a, b] = [new RecordingWatcher(), new RecordingWatcher()];
    await hub.attach(QUERY, a);
    await hub.attach(QUERY, b);
    await bus.publish(QUERY.key, [frame(1), frame(2), frame(3)], 0);
    await settle();
    // The query's state is gone (keys expired, Redis lost them): its next publish starts a new numbering
    // a minute later by the clock, and the bus's ring and seq are that numbering's from now on.
    const renumbered = new MemoryLiveBus({ replayFrames: 4, queryLeaseMs: 10_000 }, () => T0 + 60_000);
    await renumbered.lead('test-composer', Number.MAX_SAFE_INTEGER);
    jest.spyOn(bus, 'replay').mockImplementation((key, afterSeq) => renumbered.replay(key, afterSeq));
    const listener = busListener(watch);
    const batches: LiveFrame[][] = [];
    await renumbered.watch(QUERY.key, (frames) => batches.push([...frames]));
    await renumbered.publish(QUERY.key, [frame(7), frame(8)], 0);
    await renumbered.publish(QUERY.key, [frame(9)], 0);
    await settle();
    const newBase = numberingBase(T0 + 60_000);
    expect(batches.map((batch) => batch.map((f) => f.seq))).toEqual([[newBase + 1, newBase + 2], [newBase + 3]]);
    listener(batches[0] as LiveFrame[]);
    await settle();
    // A forward jump the ring cannot fill: not repaired with frames of the new numbering, not delivered.
    expect([a.resyncs, b.resyncs]).toEqual([1, 1]);
    expect([hub.resyncs, hub.gapsRepaired]).toEqual([1, 0]);
    expect(a.seqs).toEqual([1, 2, 3]);
    // The new numbering flows on from the batch that revealed it (covered by the watchers' fresh snapshots).
    listener(batches[1] as LiveFrame[]);
    await settle();
    expect(a.batches.flat().map((shared) => shared.frame.seq)).toEqual([BASE + 1, BASE + 2, BASE + 3, newBase + 3]);
    expect(a.resyncs).toBe(1);
  });

  it('re-syncs when the numbering starts again below the old one (a bus numbering from 0, or a clock stepped back)', async () => {
    const watch = jest.spyOn(bus, 'watch');
    const a = new RecordingWatcher();
    await hub.attach(QUERY, a);
    await bus.publish(QUERY.key, [frame(1), frame(2), frame(3)], 0);
    await settle();
    const restarted: LiveFrame[] = [{ ...frame(9), seq: 1 }];
    busListener(watch)(restarted);
    await settle();
    expect(a.resyncs).toBe(1);
    expect(a.seqs).toEqual([1, 2, 3]);
  });

  it('retries a failed gap repair and delivers the missing frames in order', async () => {
    hub.close();
    hub = new Hub(bus, 60_000, [1, 1], UNBOUNDED);
    const watch = jest.spyOn(bus, 'watch');
    const a = new RecordingWatcher();
    await hub.attach(QUERY, a);
    const listener = busListener(watch);
    await bus.publish(QUERY.key, [frame(1)], 0);
    await settle();
    await publishLost(listener, [frame(2)]);
    const replay = jest.spyOn(bus, 'replay').mockRejectedValueOnce(new Error('redis down'));
    await bus.publish(QUERY.key, [frame(3)], 0);
    await until(() => replay.mock.calls.length === 2 && a.seqs.length === 3, 'the retried repair');
    await settle();
    expect(replay).toHaveBeenCalledTimes(2);
    expect(a.seqs).toEqual([1, 2, 3]);
    expect([hub.gapsRepaired, hub.repairsFailed, a.resyncs]).toEqual([1, 0, 0]);
  });

  it('re-syncs its watchers when every retry of a gap repair fails, instead of waiting for the next frame', async () => {
    hub.close();
    hub = new Hub(bus, 60_000, [1, 1], UNBOUNDED);
    const watch = jest.spyOn(bus, 'watch');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const a = new RecordingWatcher();
    const b = new RecordingWatcher();
    await hub.attach(QUERY, a);
    await hub.attach(QUERY, b);
    const listener = busListener(watch);
    await bus.publish(QUERY.key, [frame(1)], 0);
    await settle();
    const replay = jest.spyOn(bus, 'replay').mockRejectedValue(new Error('redis down'));
    listener([{ ...frame(3), seq: BASE + 3 }]);
    await until(() => replay.mock.calls.length === 3 && a.resyncs === 1, 'three failed repairs and a re-sync');
    await settle();
    expect(replay).toHaveBeenCalledTimes(3);
    expect([a.resyncs, b.resyncs]).toEqual([1, 1]);
    expect([hub.repairsFailed, hub.resyncs]).toEqual([1, 1]);
    expect(warn).toHaveBeenCalledWith('hub: gap repair failed 3 times, watchers re-sync: redis down');
    replay.mockRestore();
    // Numbering continues after the re-sync point: the next frame is delivered, not treated as a gap.
    listener([{ ...frame(4), seq: BASE + 4 }]);
    await settle();
    expect(a.seqs).toEqual([1, 4]);
    warn.mockRestore();
  });

  it('after the bus resubscribed, fetches what its Pub/Sub channel lost without waiting for a next frame (a quiet query)', async () => {
    const { watcher: a, watch, resubscribe } = await hubToResubscribe();
    const listener = busListener(watch);
    await bus.publish(QUERY.key, [frame(1)], 0);
    await settle();
    // Lost while the subscriber reconnected: the final value of the window, and then the query goes quiet.
    await publishLost(listener, [frame(2), frame(3, 'correction')]);
    resubscribe();
    await settle();
    await settle();
    expect(a.seqs).toEqual([1, 2, 3]);
    expect(a.resyncs).toBe(0);
    // A Pub/Sub message published after the resubscription and also read by that repair is not a restart.
    listener([{ ...frame(3, 'correction'), seq: BASE + 3 }]);
    await bus.publish(QUERY.key, [frame(4)], 0);
    await settle();
    expect(a.resyncs).toBe(0);
    expect(a.seqs).toEqual([1, 2, 3, 4]);
  });

  it('after the bus resubscribed, re-syncs its watchers when the ring no longer holds what was lost', async () => {
    const { watcher: a, watch, resubscribe } = await hubToResubscribe();
    await bus.publish(QUERY.key, [frame(1)], 0);
    await settle();
    await publishLost(busListener(watch), [1, 2, 3, 4, 5].map((v) => frame(v)));
    resubscribe();
    await settle();
    await settle();
    expect(a.resyncs).toBe(1);
  });

  it('after the bus resubscribed, re-syncs its watchers when the numbering started again meanwhile (Redis restarted without its data)', async () => {
    const { watcher: a, resubscribe } = await hubToResubscribe();
    await bus.publish(QUERY.key, [frame(1), frame(2)], 0);
    await settle();
    const renumbered = new MemoryLiveBus({ replayFrames: 4, queryLeaseMs: 10_000 }, () => T0 + 5_000);
    await renumbered.lead('test-composer', Number.MAX_SAFE_INTEGER);
    await renumbered.publish(QUERY.key, [frame(7), frame(8)], 0);
    jest.spyOn(bus, 'replay').mockImplementation((key, afterSeq) => renumbered.replay(key, afterSeq));
    resubscribe();
    await settle();
    await settle();
    expect(a.resyncs).toBe(1);
    expect(hub.gapsRepaired).toBe(0);
    expect(a.seqs).toEqual([1, 2]);
  });

  it('after the bus resubscribed, leaves a query that lost nothing alone', async () => {
    const { watcher: a, resubscribe } = await hubToResubscribe();
    await bus.publish(QUERY.key, [frame(1)], 0);
    await settle();
    resubscribe();
    await settle();
    await settle();
    await bus.publish(QUERY.key, [frame(2)], 0);
    await settle();
    expect(a.seqs).toEqual([1, 2]);
    expect([a.resyncs, hub.gapsRepaired]).toEqual([0, 0]);
  });

  it('renews the leases of the queries it serves', async () => {
    hub.close();
    hub = new Hub(bus, 20, REPLAY_RETRY_MS, UNBOUNDED);
    const register = jest.spyOn(bus, 'register');
    await hub.attach(QUERY, new RecordingWatcher());
    await hub.attach(OTHER, new RecordingWatcher());
    register.mockClear();
    await until(() => register.mock.calls.length >= 2, 'two renewals');
    expect(register).toHaveBeenLastCalledWith([QUERY, OTHER]);
  });
});
