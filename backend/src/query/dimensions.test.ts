/**
 * GET /v1/dimensions over the memory pane-state twin: bad parameters get a
 * coded error, and a range far ahead of the clock reads only the panes that
 * can exist.
 */
import type { PanecastEvent } from '../collect/event';
import { MemoryPaneState } from '../store/memory-pane-state';
import { parseMetricDefinitions, resolveStoreOptions, WindowEngine } from '../window';
import { DimensionValuesService } from './dimensions';

const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'orders', description: 'o', match: { type: 'order' }, dimensions: ['shop', 'country'] }] },
  'dimensions.yaml',
);
const T0 = 1_800_000_000_000; // a whole hour
const store = resolveStoreOptions({});
const options = { store, outOfOrdernessMs: 2000 };
const now = T0 + 30_000;

/** The twin, counting the pane starts each read asks for. */
class CountingPaneState extends MemoryPaneState {
  largestRead = 0;

  override async readPanes(metric: string, resolutionMs: number, paneStarts: readonly number[]) {
    this.largestRead = Math.max(this.largestRead, paneStarts.length);
    return super.readPanes(metric, resolutionMs, paneStarts);
  }
}

async function setUp(): Promise<{ state: CountingPaneState; service: DimensionValuesService }> {
  const state = new CountingPaneState(() => now);
  const engine = new WindowEngine(definitions, store);
  const events: PanecastEvent[] = ['a', 'b'].map((shop, i) => ({ type: 'order', ts: T0 + i * 1000, tsSource: 'event', fields: { shop, country: 'DE' } }));
  engine.applyBatch(events, Number.NEGATIVE_INFINITY);
  const { epoch } = await state.loadPartition(0, () => 0);
  await state.commit({
    partition: 0,
    epoch,
    offset: 1,
    progress: { maxEventTime: T0 + 1000, committedAt: now },
    partials: engine.drainDirty(),
    retentionMs: () => store.coarseRetentionMs,
  });
  return { state, service: new DimensionValuesService(state, definitions, options, () => now) };
}

const codeOf = (service: DimensionValuesService, query: string) =>
  service.run(new URLSearchParams(query)).then(
    () => 'answered',
    (error: { code?: string; message: string }) => error.code ?? error.message,
  );

describe('DimensionValuesService', () => {
  it('lists the values of a range reaching years ahead, reading only the panes that can exist', async () => {
    const { state, service } = await setUp();
    const answer = await service.run(new URLSearchParams({ metric: 'orders', dimension: 'shop', from: String(T0 - 60_000), to: String(now + 20 * 365 * 86_400_000) }));
    expect(answer).toEqual({ values: ['a', 'b'] });
    // Before, every minute up to `to` was listed: 10 million pane starts for 20 years (and out of memory further out).
    expect(state.largestRead).toBeLessThan(1000);
  });

  it.each([
    ['metric=orders&dimension=shop&dimension=country', 'PANECAST_ERR_QUERY_INVALID'],
    ['metric=orders&dimension=shop&filter.country=DE&filter.country=FR', 'PANECAST_ERR_QUERY_INVALID'],
    ['metric=orders&dimension=shop&filter.__proto__=x', 'PANECAST_ERR_QUERY_UNKNOWN_DIMENSION'],
  ])('refuses %s with %s', async (query, code) => {
    const { service } = await setUp();
    expect(await codeOf(service, query)).toBe(code);
  });
});
