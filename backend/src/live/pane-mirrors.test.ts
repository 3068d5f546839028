/**
 * The composer's pane mirrors load a metric when a query first needs it. A
 * commit noticed before that load names panes of a metric not loaded yet, so
 * its panes are not queued: the load itself must read them, even when their
 * events are stamped after the clock the round took (a round's clock is read
 * before its awaits; clients may stamp events ahead of it). Before, the load
 * stopped one pane past the clock, and such panes were never mirrored while
 * the watermark (from the same commit) moved past them.
 */
import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import type { LogRecord } from '../buffer/event-log';
import { encodeEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { Processor } from '../process/processor';
import { MemoryPaneState } from '../store/memory-pane-state';
import { resolveStoreOptions } from '../window';
import { PaneMirrors } from './pane-mirrors';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;
const OPTIONS = { store: resolveStoreOptions({ paneMs: 1000 }), outOfOrdernessMs: 2000, idleMs: 600_000 };

async function setUp(clock: () => number) {
  const state = new MemoryPaneState(clock);
  const processor = new Processor(new MemoryLog(1), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
  const mirrors = new PaneMirrors(state, definitions, OPTIONS);
  await state.watchCommits({ committed: (notice) => mirrors.note(notice), resync: () => undefined });
  let offset = 0;
  const send = async (times: readonly number[]): Promise<void> => {
    const records: LogRecord[] = times.map((ts) => ({ partition: 0, offset: offset++, key: 'k', value: encodeEvent({ type: 'a', ts, tsSource: 'event', fields: {} }), timestamp: ts }));
    await processor.onBatch({ partition: 0, records });
  };
  // Counted before any maintenance (a watermark a day ahead would roll every pane up).
  const finePanes = () => mirrors.stores(Number.NEGATIVE_INFINITY).reduce((sum, store) => sum + (store.metric('events')?.footprint().finePanes ?? 0), 0);
  return { mirrors, send, finePanes };
}

describe('pane mirrors', () => {
  it('load the panes of a commit noticed before the load, up to its newest event time', async () => {
    const now = T0;
    const { mirrors, send, finePanes } = await setUp(() => now);
    const progress = await mirrors.restart();
    // One event a second, T0 .. T0 + 9 s: committed (and noticed) while the round awaited something else.
    await send(Array.from({ length: 10 }, (_, i) => T0 + i * 1000));
    await mirrors.ensureLoaded('events', now - 60_000, now);
    mirrors.setProgress(progress);
    await mirrors.apply();
    expect(mirrors.currentWatermark(now)).toBe(T0 + 9000 - 2000);
    expect(finePanes()).toBe(10);
  });

  it('read no further than the collector\u2019s future limit, whatever a progress names', async () => {
    const now = T0;
    const { mirrors, send, finePanes } = await setUp(() => now);
    await mirrors.restart();
    // Written to the log by something other than the collector: a day ahead.
    await send([T0]);
    await send([T0 + 86_400_000]);
    await mirrors.ensureLoaded('events', now - 60_000, now);
    await mirrors.apply();
    expect(finePanes()).toBe(1);
  });

  it('queue the panes of commits after the load and reload them at the next apply', async () => {
    const now = T0;
    const { mirrors, send, finePanes } = await setUp(() => now);
    await mirrors.restart();
    await mirrors.ensureLoaded('events', now - 60_000, now);
    await send([T0 + 1000, T0 + 120_000]);
    expect(finePanes()).toBe(0);
    await mirrors.apply();
    expect(finePanes()).toBe(2);
  });
});
