/** The processor drops retried collector batches (idempotency keys), across restarts and failed commits. */
import { join } from 'node:path';
import type { LogRecord } from '../buffer/event-log';
import { MemoryLog } from '../buffer/memory-log';
import { encodeEvent, type EventOrigin } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { MemoryDedupStore } from '../store/memory-dedup-store';
import { MemoryPaneState } from '../store/memory-pane-state';
import type { PartitionCommit } from '../store/pane-state';
import { compileQuery, compose, PaneStore } from '../window';
import { Processor } from './processor';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;

/** `count` events of one attempt, at consecutive offsets from `from`. */
function attempt(origin: EventOrigin | undefined, from: number, count: number): LogRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    partition: 0,
    offset: from + i,
    key: 'click',
    value: encodeEvent({ type: 'click', ts: T0 + i * 10, tsSource: 'event', fields: {}, ...(origin ? { origin } : {}) }),
    timestamp: T0,
  }));
}

function processor(state: MemoryPaneState, dedup: MemoryDedupStore | undefined): Processor {
  return new Processor(new MemoryLog(1), state, definitions, {
    groupId: 'g',
    outOfOrdernessMs: 2000,
    engine: {},
    ...(dedup ? { dedup: { store: dedup, windowMs: 600_000, maxEntries: 1000 } } : {}),
  });
}

async function storedCount(state: MemoryPaneState): Promise<number> {
  const partials = (await state.readPanes('events', 1000, [T0])).get(0) ?? [];
  const store = new PaneStore(definitions);
  store.load(partials);
  const query = compileQuery({ metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } }, definitions);
  return compose([store], query, { from: T0, to: T0 + 1000 }, Number.POSITIVE_INFINITY)
    .flatMap((group) => group.points)
    .reduce((sum, point) => sum + point.value, 0);
}

const first: EventOrigin = { batch: 'batch-1', attempt: 'first', at: T0 };
const retry: EventOrigin = { batch: 'batch-1', attempt: 'retry', at: T0 + 3000 };

describe('Processor with batch dedup', () => {
  it('applies a batch once when its retry reaches the log too', async () => {
    const state = new MemoryPaneState();
    const p = processor(state, new MemoryDedupStore());
    await p.onBatch({ partition: 0, records: [...attempt(first, 0, 5), ...attempt({ ...first, batch: 'other' }, 5, 2), ...attempt(retry, 7, 5)] });
    expect(await storedCount(state)).toBe(7);
    expect(p.snapshot()).toMatchObject({ consumed: 7, retriedEvents: 5 });
  });

  it('recognises the retry in a new process that never saw the first attempt (restart, rebalance)', async () => {
    const state = new MemoryPaneState();
    const dedup = new MemoryDedupStore();
    await processor(state, dedup).onBatch({ partition: 0, records: attempt(first, 0, 5) });
    const restarted = processor(state, dedup);
    await restarted.onBatch({ partition: 0, records: attempt(retry, 5, 5) });
    expect(await storedCount(state)).toBe(5);
    expect(restarted.snapshot().retriedEvents).toBe(5);
  });

  it('decides the same after a commit failed between storing the batch memory and the panes', async () => {
    const state = new MemoryPaneState();
    const commit = state.commit.bind(state);
    let failures = 1;
    jest.spyOn(state, 'commit').mockImplementation(async (c: PartitionCommit) => {
      if (failures-- > 0) {
        throw new Error('redis went away');
      }
      return commit(c);
    });
    const dedup = new MemoryDedupStore();
    const records = [...attempt(first, 0, 5), ...attempt(retry, 5, 5)];
    const p = processor(state, dedup);
    await expect(p.onBatch({ partition: 0, records })).rejects.toThrow('redis went away');
    // The log redelivers; the entries stored before the failed commit lie past the committed offset.
    await p.onBatch({ partition: 0, records });
    expect(await storedCount(state)).toBe(5);
  });

  it('applies every record when dedup is not configured', async () => {
    const state = new MemoryPaneState();
    await processor(state, undefined).onBatch({ partition: 0, records: [...attempt(first, 0, 5), ...attempt(retry, 5, 5)] });
    expect(await storedCount(state)).toBe(10);
  });
});
