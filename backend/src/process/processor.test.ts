import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import { encodeEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { FencedError } from '../store/pane-state';
import { MemoryPaneState } from '../store/memory-pane-state';
import { compileQuery, compose, PaneStore } from '../window';
import type { LogRecord } from '../buffer/event-log';
import { ByteReader } from '../window/aggregates/bytes';
import { readSummary } from '../window/aggregates/summary';
import { Processor } from './processor';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;

function records(partition: number, from: number, count: number): LogRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    partition,
    offset: from + i,
    key: 'click',
    value: encodeEvent({ type: 'click', ts: T0 + (from + i) * 10, tsSource: 'event', fields: {} }),
    timestamp: T0,
  }));
}

function processor(state: MemoryPaneState): Processor {
  return new Processor(new MemoryLog(2), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} });
}

/** Total count of `events` in the store, merged over partitions. */
async function storedCount(state: MemoryPaneState): Promise<number> {
  const starts = Array.from({ length: 20 }, (_, i) => T0 + i * 1000);
  const stores = [...(await state.readPanes('events', 1000, starts)).values()].map((partials) => {
    const store = new PaneStore(definitions);
    store.load(partials);
    return store;
  });
  const query = compileQuery({ metric: 'events', aggregate: 'count', window: { sizeMs: 20_000 } }, definitions);
  return compose(stores, query, { from: T0, to: T0 + 20_000 }, Number.POSITIVE_INFINITY)
    .flatMap((group) => group.points)
    .reduce((sum, point) => sum + point.value, 0);
}

describe('Processor', () => {
  it('applies a redelivered batch once', async () => {
    const state = new MemoryPaneState();
    const p = processor(state);
    await p.onBatch({ partition: 0, records: records(0, 0, 50) });
    await p.onBatch({ partition: 0, records: records(0, 0, 80) });
    expect(await storedCount(state)).toBe(80);
    expect(p.snapshot()).toMatchObject({ consumed: 80, duplicatesSkipped: 50 });
  });

  it('resumes in a new process from the stored offset and panes, as after a crash', async () => {
    const state = new MemoryPaneState();
    await processor(state).onBatch({ partition: 0, records: records(0, 0, 60) });
    const restarted = processor(state);
    // The log redelivers from an older position; nothing is counted twice.
    await restarted.onBatch({ partition: 0, records: records(0, 40, 60) });
    expect(await storedCount(state)).toBe(100);
  });

  it('refuses the commits of an owner that a newer owner fenced off, and keeps refusing until reassigned', async () => {
    const state = new MemoryPaneState();
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const zombie = processor(state);
    await zombie.onBatch({ partition: 1, records: records(1, 0, 10) });
    const owner = processor(state);
    await owner.onBatch({ partition: 1, records: records(1, 10, 10) });
    await expect(zombie.onBatch({ partition: 1, records: records(1, 10, 30) })).rejects.toBeInstanceOf(FencedError);
    await expect(zombie.onBatch({ partition: 1, records: records(1, 40, 5) })).rejects.toBeInstanceOf(FencedError);
    await owner.onBatch({ partition: 1, records: records(1, 20, 5) });
    expect(await storedCount(state)).toBe(25);
    errors.mockRestore();
  });

  it('keeps a complete coarse pane when it restarts with a reload cut inside that minute', async () => {
    const state = new MemoryPaneState();
    const at = (offset: number, ts: number): LogRecord => ({
      partition: 0,
      offset,
      key: 'click',
      value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }),
      timestamp: ts,
    });
    // Five events in minute [T0, T0 + 60 s), two of them before T0 + 18 s; then one at T0 + 200 s,
    // which builds that minute's coarse pane (watermark past its end + the allowed lateness).
    const first = [T0 + 5_000, T0 + 10_000, T0 + 30_000, T0 + 40_000, T0 + 50_000, T0 + 200_000].map((ts, i) => at(i, ts));
    await processor(state).onBatch({ partition: 0, records: first });
    // The count the stored coarse pane holds (partial layout: format, flags, summary…).
    const coarse = async () => {
      const reader = new ByteReader(new Uint8Array(0), 'stored partial');
      let count = 0;
      for (const partials of (await state.readPanes('events', 60_000, [T0])).values()) {
        for (const partial of partials) {
          reader.load(partial.bytes);
          reader.u8();
          reader.u8();
          count += readSummary(reader).count;
        }
      }
      return count;
    };
    expect(await coarse()).toBe(5);
    // After a restart the reload cut (newest − out-of-orderness − lateness − 2 min) falls at T0 + 18 s.
    await processor(state).onBatch({ partition: 0, records: [at(6, T0 + 201_000)] });
    expect(await coarse()).toBe(5);
  });

  it('counts undecodable records and keeps going', async () => {
    const state = new MemoryPaneState();
    const p = processor(state);
    const batch = records(0, 0, 3);
    (batch[1] as LogRecord).value = 'not json';
    await p.onBatch({ partition: 0, records: batch });
    expect(await storedCount(state)).toBe(2);
    expect(p.snapshot().undecodable).toBe(1);
  });
});
