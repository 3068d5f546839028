/**
 * A sender whose clock runs ahead (within the collector's future limit) once
 * moved its partition's watermark minutes ahead, so every other event of that
 * partition was judged too late until real time caught up.
 */
import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import type { LogRecord } from '../buffer/event-log';
import { encodeEvent, isEventError, validateEvent, type PanecastEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { MemoryPaneState } from '../store/memory-pane-state';
import { compileQuery, compose, PaneStore, resolveStoreOptions } from '../window';
import { Processor } from './processor';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;
const AHEAD_MS = 4 * 60_000;

/** The event as the collector checks it at `now` (it sets receivedAt for a `ts` ahead of its clock). */
function accepted(ts: number, now: number): PanecastEvent {
  const checked = validateEvent({ value: { type: 'click', ts }, line: 1 }, 0, now);
  if (isEventError(checked)) {
    throw new Error(checked.message);
  }
  return checked;
}

const record = (offset: number, event: PanecastEvent): LogRecord => ({ partition: 0, offset, key: 'click', value: encodeEvent(event), timestamp: event.ts });

async function countIn(state: MemoryPaneState, from: number, to: number): Promise<number> {
  const starts = Array.from({ length: (to - from) / 1000 }, (_, i) => from + i * 1000);
  const stores = [...(await state.readPanes('events', 1000, starts)).values()].map((partials) => {
    const store = new PaneStore(definitions);
    store.load(partials);
    return store;
  });
  const query = compileQuery({ metric: 'events', aggregate: 'count', window: { sizeMs: to - from } }, definitions);
  return compose(stores, query, { from, to }, Number.POSITIVE_INFINITY)
    .flatMap((group) => group.points)
    .reduce((sum, point) => sum + point.value, 0);
}

describe('an event stamped ahead of the collector clock', () => {
  it('is marked with the time it arrived, and only when ahead', () => {
    expect(accepted(T0 + AHEAD_MS, T0)).toMatchObject({ ts: T0 + AHEAD_MS, receivedAt: T0 });
    expect(accepted(T0, T0)).not.toHaveProperty('receivedAt');
    expect(accepted(T0 - 5000, T0)).not.toHaveProperty('receivedAt');
  });

  it('keeps its own window but does not make the rest of its partition late', async () => {
    const state = new MemoryPaneState();
    const processor = new Processor(new MemoryLog(2), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} });
    const events = [
      accepted(T0, T0),
      accepted(T0 + AHEAD_MS, T0 + 100),
      // Punctual senders go on; before, these were a watermark of T0 + 238 s behind: too late.
      ...Array.from({ length: 10 }, (_, i) => accepted(T0 + 1000 + i * 500, T0 + 1000 + i * 500)),
    ];
    await processor.onBatch({ partition: 0, records: events.map((event, offset) => record(offset, event)) });
    expect(processor.snapshot()).toMatchObject({ consumed: 12, tooLate: 0 });
    expect(await countIn(state, T0, T0 + 10_000)).toBe(11);
    expect(await countIn(state, T0 + AHEAD_MS, T0 + AHEAD_MS + 1000)).toBe(1);
    // The clock (the watermark's input) stopped at the punctual events; the newest time is kept for readers.
    expect((await state.readProgress()).get(0)).toMatchObject({ maxEventTime: T0 + 5500, newestEventTime: T0 + AHEAD_MS });
  });

  it('keeps its pane in the store as long after its own time as a punctual pane', async () => {
    let now = T0;
    const state = new MemoryPaneState(() => now);
    const processor = new Processor(new MemoryLog(2), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, () => now);
    await processor.onBatch({ partition: 0, records: [record(0, accepted(T0, T0)), record(1, accepted(T0 + AHEAD_MS, T0))] });
    // A pane lives the fine tier plus the allowed lateness after its commit: measured from the
    // commit, a pane stamped 4 minutes ahead was gone 4 minutes early, while GET /v1/query still
    // read windows that old from the store.
    const { fineRetentionMs, allowedLatenessMs } = resolveStoreOptions({});
    now = T0 + AHEAD_MS + fineRetentionMs + allowedLatenessMs - 1000;
    expect(await countIn(state, T0 + AHEAD_MS, T0 + AHEAD_MS + 1000)).toBe(1);
    expect(await countIn(state, T0, T0 + 1000)).toBe(0);
  });

  it('still moves the clock to its arrival time, so a lone fast sender is not stuck behind', async () => {
    const state = new MemoryPaneState();
    const processor = new Processor(new MemoryLog(2), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} });
    await processor.onBatch({ partition: 0, records: [record(0, accepted(T0 + AHEAD_MS, T0 + 30_000))] });
    expect((await state.readProgress()).get(0)).toMatchObject({ maxEventTime: T0 + 30_000, newestEventTime: T0 + AHEAD_MS });
  });
});
