/**
 * The history writer over the memory twins: the real processor commits
 * panes, the writer turns the immutable ones into samples.
 */
import { MemoryLog } from '../buffer/memory-log';
import { encodeEvent, type FieldValue } from '../collect/event';
import type { LogRecord } from '../buffer/event-log';
import { MemoryHistory } from '../store/memory-history';
import { MemoryPaneState } from '../store/memory-pane-state';
import { parseMetricDefinitions } from '../window';
import { HistoryWriter } from './history-writer';
import { Processor } from './processor';
import { writerOptions } from '../../test/history-writer-options';

const T0 = 1_800_000_000_000; // a whole minute
const S = 1000;

function record(offset: number, ts: number, fields: Record<string, FieldValue>): LogRecord {
  return { partition: 0, offset, key: 'http_request', value: encodeEvent({ type: 'http_request', ts, tsSource: 'event', fields }), timestamp: ts };
}

function writer(state: MemoryPaneState, history: MemoryHistory, definitions: Parameters<typeof parseMetricDefinitions>[0], clock: () => number): HistoryWriter {
  return new HistoryWriter(state, new MemoryLog(1), parseMetricDefinitions(definitions, 'test.yaml'), history, writerOptions({ maxPanesPerTick: 300 }), clock);
}

it('writes a pane of a metric with tens of thousands of series (more samples than one call can spread)', async () => {
  // 40,000 routes in one second, each with a measure: 160,000 samples for that one pane.
  const routes = 40_000;
  const document = {
    metrics: [{ name: 'latency', description: 'x', match: { type: 'http_request' }, measure: 'duration_ms', dimensions: ['route'], cardinalityCap: 100_000 }],
  };
  const definitions = parseMetricDefinitions(document, 'test.yaml');
  let now = T0 + 10 * S;
  const clock = () => now;
  const state = new MemoryPaneState(clock);
  const history = new MemoryHistory(10_000_000);
  const processor = new Processor(new MemoryLog(1), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
  const records = Array.from({ length: routes }, (_, i) => record(i, T0 + 5 * S + (i % 1000), { route: `/r${i}`, duration_ms: i }));
  await processor.onBatch({ partition: 0, records });
  // The partition idle: the watermark follows the clock, the pane is immutable.
  now = T0 + 120 * S;
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    await writer(state, history, document, clock).tick();
    expect(warn).not.toHaveBeenCalled();
  } finally {
    warn.mockRestore();
  }
  expect(await state.readMark('history')).toBeGreaterThanOrEqual(T0 + 6 * S);
  const counts = await history.aggregate({ name: 'panecast_latency_count', match: { window: ['1s'] }, op: 'sum', by: [], windowMs: S, start: T0 + 6 * S, end: T0 + 6 * S, stepMs: S });
  expect(counts).toEqual([{ labels: {}, points: [[T0 + 6 * S, routes]] }]);
  expect(history.samples()).toHaveLength(4 * routes);
});

it.each(['window', 'scope', 'vmrange', '__name__'])('refuses a dimension named %s, a label history uses for itself', (dimension) => {
  // The writer labels every sample window="1s" (and distinct ones scope=…, buckets vmrange=…, the name
  // __name__): a dimension of that name would be overwritten, its tuples merged into one series.
  const document = {
    metrics: [{ name: 'views', description: 'x', match: { type: 'page_view' }, measure: 'ms', quantiles: true, distinctOf: 'user', dimensions: [dimension] }],
  };
  expect(() => parseMetricDefinitions(document, 'test.yaml')).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_METRIC_DEFINITION' }));
});
