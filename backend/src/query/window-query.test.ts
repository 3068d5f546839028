/**
 * GET /v1/query over the memory pane-state twin: partials committed by an
 * engine, windows composed at read time. Plain data, exact counts.
 */
import type { PanecastEvent } from '../collect/event';
import { MemoryPaneState } from '../store/memory-pane-state';
import { parseMetricDefinitions, resolveStoreOptions, WindowEngine } from '../window';
import { WindowQueryService } from './window-query';

const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'orders', description: 'o', match: { type: 'order' }, measure: 'amount', dimensions: ['shop'] }] },
  'window-query.yaml',
);
const T0 = 1_800_000_000_000; // a whole hour
const S = 1000;
const store = resolveStoreOptions({});
const options = { store, outOfOrdernessMs: 2000, idleMs: 3000 };

async function serviceWith(events: PanecastEvent[], now: number): Promise<WindowQueryService> {
  const state = new MemoryPaneState(() => now);
  const engine = new WindowEngine(definitions, store);
  engine.applyBatch(events, Number.NEGATIVE_INFINITY);
  const { epoch } = await state.loadPartition(0, () => 0);
  const maxEventTime = Math.max(...events.map((e) => e.ts));
  await state.commit({
    partition: 0,
    epoch,
    offset: events.length - 1,
    progress: { maxEventTime, committedAt: maxEventTime },
    partials: engine.drainDirty(),
    retentionMs: () => store.coarseRetentionMs,
  });
  return new WindowQueryService(state, definitions, options, () => now);
}

const order = (ts: number, amount = 1): PanecastEvent => ({ type: 'order', ts, tsSource: 'event', fields: { shop: 'a', amount } });

describe('WindowQueryService', () => {
  it('reads every pane of the windows overlapping the range, not only the panes up to `to`', async () => {
    // One event per second over a whole minute; the query's range ends 10 s into that minute.
    const events = Array.from({ length: 60 }, (_, i) => order(T0 + i * S + 500));
    const service = await serviceWith(events, T0 + 10 * 60 * S);
    const answer = await service.run(new URLSearchParams({ metric: 'orders', aggregate: 'count', size: '60000', from: String(T0), to: String(T0 + 10 * S) }));
    // The one window overlapping [from, to) is [T0, T0 + 60 s), final, over its whole extent: 60 events, not 11.
    expect(answer.groups).toEqual([{ group: {}, points: [{ start: T0, end: T0 + 60 * S, value: 60, final: true }] }]);
  });
});
