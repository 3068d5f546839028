/**
 * VictoriaMetrics down for longer than the pane store keeps a fine pane
 * (1 h + the allowed lateness): the writer holds the panes it has not
 * written yet, and writes them once history answers again.
 */
import { MemoryLog } from '../buffer/memory-log';
import { encodeEvent } from '../collect/event';
import { MemoryPaneState } from '../store/memory-pane-state';
import { parseMetricDefinitions } from '../window';
import { HistoryWriter } from './history-writer';
import { Processor } from './processor';
import { writerOptions } from '../../test/history-writer-options';
import { FlakyHistory } from '../../test/flaky-history';

const T0 = 1_800_000_000_000; // a whole minute
const S = 1000;
const HOUR = 3_600_000;
const RETENTION_MS = HOUR + 60_000;
const definitions = parseMetricDefinitions({ metrics: [{ name: 'clicks', description: 'x', match: { type: 'click' }, dimensions: [] }] }, 'test.yaml');

async function outage(holdMs: number, outageMs: number) {
  let now = T0 + 6 * S;
  const clock = () => now;
  const state = new MemoryPaneState(clock);
  const history = new FlakyHistory(true, 1_000_000);
  const log = new MemoryLog(1);
  const processor = new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
  await processor.onBatch({ partition: 0, records: [{ partition: 0, offset: 0, key: 'click', value: encodeEvent({ type: 'click', ts: T0 + 5 * S, tsSource: 'event', fields: {} }), timestamp: T0 }] });
  const writer = new HistoryWriter(state, log, definitions, history, writerOptions({ maxPanesPerTick: 20_000, retentionMs: RETENTION_MS, holdMs }), clock);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
  const error = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    // The pane of T0 + 5 s becomes writable a minute later, while history is down; the writer
    // keeps trying (every second in a process, every 20 s here).
    for (now = T0 + 70 * S; now < T0 + outageMs; now += 20 * S) {
      await writer.tick();
    }
    history.down = false;
    now += S;
    await writer.tick();
    const [series] = await history.aggregate({ name: 'panecast_clicks_count', match: { window: ['1s'] }, op: 'sum', by: [], windowMs: S, start: T0 + 6 * S, end: T0 + 6 * S, stepMs: S });
    return { count: series?.points[0]?.[1] ?? 0, stats: writer.snapshot(), errors: error.mock.calls.map((call) => String(call[0])) };
  } finally {
    warn.mockRestore();
    error.mockRestore();
  }
}

describe('history writer during a VictoriaMetrics outage', () => {
  it('holds the panes not written yet past their retention, and writes them when history is back', async () => {
    const { count, stats, errors } = await outage(3 * HOUR, 2 * HOUR);
    expect(count).toBe(1);
    expect(stats.panesHeld).toBeGreaterThan(0);
    expect(stats.panesPastRetention).toBe(0);
    expect(errors).toEqual([]);
  });

  it('says which panes outlived their retention when the outage outlasts the hold', async () => {
    const { count, stats, errors } = await outage(0, 2 * HOUR);
    // Without a hold the pane expired an hour into the outage: lost, and said so.
    expect(count).toBe(0);
    expect(stats.panesPastRetention).toBeGreaterThan(0);
    // Said at most once a minute (the writer tried every 20 s), every pane counted.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(61);
    expect(errors.every((text) => text.includes('outlived their retention'))).toBe(true);
  });
});
