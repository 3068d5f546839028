import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import type { LogRecord } from '../buffer/event-log';
import { encodeEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { Processor } from '../process/processor';
import { MemoryPaneState } from '../store/memory-pane-state';
import { compileQuery, resolveStoreOptions, type WindowQuery } from '../window';
import { defaultSubscriptions, LiveComposer } from './composer';
import type { LiveFrame } from './live-bus';
import { MemoryLiveBus } from './memory-live-bus';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;
const BY_TYPE: WindowQuery = defaultSubscriptions(definitions, 1000).find((q) => q.metric === 'events') as WindowQuery;
const KEY = compileQuery(BY_TYPE, definitions, 1000).key;

class Clock {
  now = T0;
  read = (): number => this.now;
}

function batch(partition: number, offset: number, times: readonly number[], type = 'click'): { partition: number; records: LogRecord[] } {
  return {
    partition,
    records: times.map((ts, i) => ({ partition, offset: offset + i, key: type, value: encodeEvent({ type, ts, tsSource: 'event', fields: {} }), timestamp: ts })),
  };
}

function setup(timing: { composeDelayMs?: number; seriesIntervalMs?: number } = {}) {
  const clock = new Clock();
  const state = new MemoryPaneState(clock.read);
  const bus = new MemoryLiveBus({ replayFrames: 100, queryLeaseMs: 60_000 }, clock.read);
  // Two processors, each owning one partition, as in a consumer group of two.
  const processors = [0, 1].map(() => new Processor(new MemoryLog(2), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock.read));
  const composer = (id: string) =>
    new LiveComposer(bus, state, definitions, [BY_TYPE], [], {
      instanceId: id,
      store: resolveStoreOptions({ paneMs: 1000 }),
      outOfOrdernessMs: 2000,
      idleMs: 600_000,
      tickMs: 3_600_000, // ticks are driven by the test
      composeDelayMs: timing.composeDelayMs ?? 3_600_000, // rounds after a commit too, unless a test times them
      seriesIntervalMs: timing.seriesIntervalMs ?? 0,
      leaseMs: 3_600_000, // the fake clock jumps; the lease must outlive the test
      backfillWindows: 5,
    }, clock.read);
  return { clock, state, bus, processors, composer };
}

/** Lets queued microtasks (commit notices, bus deliveries) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function value(frames: readonly LiveFrame[], start: number, type = 'click'): LiveFrame | undefined {
  return frames.filter((f) => f.window.start === start && f.series.type === type).pop();
}

describe('LiveComposer', () => {
  it('merges the panes of partitions owned by different processors', async () => {
    const { clock, bus, processors, composer } = setup();
    const live = composer('a');
    await live.start();
    const [p0, p1] = processors as [Processor, Processor];
    await p0.onBatch(batch(0, 0, Array.from({ length: 10 }, (_, i) => T0 + i * 50)));
    await p1.onBatch(batch(1, 0, Array.from({ length: 5 }, (_, i) => T0 + 100 + i * 50)));
    // Both partitions move past T0 + 1 s + out-of-orderness.
    await p0.onBatch(batch(0, 10, [T0 + 3500]));
    await p1.onBatch(batch(1, 5, [T0 + 3500]));
    clock.now = T0 + 3600;
    await settle();
    await live.tick();
    const snapshot = await bus.snapshot(KEY);
    expect(value(snapshot?.frames ?? [], T0)).toMatchObject({ value: 15, final: true, kind: 'update' });
    await live.stop();
  });

  it('composes on a commit notice without waiting for the tick', async () => {
    const { clock, bus, processors, composer } = setup({ composeDelayMs: 5 });
    const live = composer('a');
    await live.start();
    await live.tick(); // the first round announces the query
    const seen: LiveFrame[] = [];
    await bus.watch(KEY, (frames) => seen.push(...frames));
    const [p0] = processors as [Processor];
    await p0.onBatch(batch(0, 0, [T0 + 10, T0 + 20]));
    clock.now = T0 + 100;
    // No tick() here: the notice alone must bring the in-progress value out.
    for (let i = 0; i < 100 && value(seen, T0) === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(value(seen, T0)).toMatchObject({ value: 2, final: false });
    await live.stop();
  });

  it('paces a busy series and sends its latest value when it falls due', async () => {
    const { clock, bus, processors, composer } = setup({ composeDelayMs: 5, seriesIntervalMs: 250 });
    const live = composer('a');
    await live.start();
    await live.tick();
    const seen: LiveFrame[] = [];
    await bus.watch(KEY, (frames) => seen.push(...frames));
    const [p0] = processors as [Processor];
    await p0.onBatch(batch(0, 0, [T0 + 10]));
    await settle();
    await live.tick();
    await settle();
    expect(seen.filter((f) => f.window.start === T0).map((f) => f.value)).toEqual([1]);
    // Two more commits within the interval: held, not dropped.
    clock.now = T0 + 100;
    await p0.onBatch(batch(0, 1, [T0 + 20]));
    await settle();
    await live.tick();
    await p0.onBatch(batch(0, 2, [T0 + 30]));
    await settle();
    await live.tick();
    await settle();
    expect(seen.filter((f) => f.window.start === T0).map((f) => f.value)).toEqual([1]);
    // Due: the next round sends the value as it is now, once.
    clock.now = T0 + 260;
    await live.tick();
    await settle();
    expect(seen.filter((f) => f.window.start === T0).map((f) => f.value)).toEqual([1, 3]);
    await live.stop();
  });

  it('publishes a correction when a late event changes a window already final', async () => {
    const { clock, bus, processors, composer } = setup();
    const live = composer('a');
    await live.start();
    const [p0] = processors as [Processor];
    await p0.onBatch(batch(0, 0, [T0 + 10, T0 + 20, T0 + 4000]));
    clock.now = T0 + 4100;
    await settle();
    await live.tick();
    const seen: LiveFrame[] = [];
    await bus.watch(KEY, (frames) => seen.push(...frames));
    // Late by 3 s: within the allowed lateness (60 s), so it corrects the final window.
    await p0.onBatch(batch(0, 3, [T0 + 30]));
    await settle();
    await live.tick();
    await settle();
    expect(value(seen, T0)).toMatchObject({ kind: 'correction', value: 3, final: true });
    await live.stop();
  });

  it('starts composing a newly registered query at once, windows and backfill included', async () => {
    const { clock, bus, processors, composer } = setup();
    const live = composer('a');
    await live.start();
    const [p0] = processors as [Processor];
    await p0.onBatch(batch(0, 0, Array.from({ length: 40 }, (_, i) => T0 + i * 250)));
    clock.now = T0 + 10_100;
    await settle();
    const sliding: WindowQuery = { metric: 'events', aggregate: 'count', window: { sizeMs: 3000, slideMs: 1000 } };
    const key = compileQuery(sliding, definitions, 1000).key;
    await bus.register([{ key, query: sliding }]);
    await settle();
    await live.tick();
    const snapshot = await bus.snapshot(key);
    // Watermark T0 + 7.75 s: the latest final window ends at T0 + 7 s, and 5 more are backfilled;
    // full windows hold 12 events (4 per second), the first one only its last 2 seconds.
    const finals = (snapshot?.frames ?? []).filter((f) => f.final);
    expect(finals.map((f) => [f.window.end - T0, f.value])).toEqual([
      [2000, 8],
      [3000, 12],
      [4000, 12],
      [5000, 12],
      [6000, 12],
      [7000, 12],
    ]);
    await live.stop();
  });

  it('hands over to a standby composer that carries the numbering on', async () => {
    const { clock, bus, processors, composer } = setup();
    const first = composer('a');
    const standby = composer('b');
    await first.start();
    await standby.start();
    expect([first.isLeader, standby.isLeader]).toEqual([true, false]);
    const [p0] = processors as [Processor];
    await p0.onBatch(batch(0, 0, [T0 + 10, T0 + 20, T0 + 4000]));
    clock.now = T0 + 4100;
    await settle();
    await first.tick();
    const before = await bus.snapshot(KEY);
    await first.stop();
    await p0.onBatch(batch(0, 3, [T0 + 4100, T0 + 6000]));
    clock.now = T0 + 6100;
    await settle();
    // The standby's next lease round finds the lease free.
    await (standby as unknown as { renewLease(): Promise<void> }).renewLease();
    expect(standby.isLeader).toBe(true);
    await standby.tick();
    const after = await bus.snapshot(KEY);
    expect(after?.seq).toBeGreaterThan(before?.seq ?? Number.POSITIVE_INFINITY);
    expect(value(after?.frames ?? [], T0)).toMatchObject({ value: 2, final: true });
    // Watermark T0 + 4 s: the window holding the two newer events is still in progress.
    expect(value(after?.frames ?? [], T0 + 4000)).toMatchObject({ value: 2, final: false });
    await standby.stop();
  });
});
