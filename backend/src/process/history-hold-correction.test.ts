/**
 * A late correction to a pane the writer holds (during a VictoriaMetrics
 * outage the seal stays at the first failing slice, so an idle partition may
 * still correct panes above it) must keep the hold: a commit never shortens
 * a pane's expiry. Before, the commit set it back to now + retention, and an
 * outage of 1 h and a little lost the pane, event and all, uncounted.
 */
import { MemoryLog } from '../buffer/memory-log';
import { encodeEvent } from '../collect/event';
import type { LogRecord } from '../buffer/event-log';
import { MemoryPaneState } from '../store/memory-pane-state';
import { parseMetricDefinitions } from '../window';
import { HistoryWriter } from './history-writer';
import { Processor } from './processor';
import { writerOptions } from '../../test/history-writer-options';
import { FlakyHistory } from '../../test/flaky-history';

const T0 = 1_800_000_000_000; // a whole minute
const S = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const definitions = parseMetricDefinitions({ metrics: [{ name: 'clicks', description: 'x', match: { type: 'click' }, dimensions: [] }] }, 'test.yaml');

function click(offset: number, ts: number): LogRecord {
  return { partition: 0, offset, key: 'click', value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }), timestamp: ts };
}

describe('a commit to a held pane', () => {
  it('does not shorten the hold: the pane outlives an outage of 2 h and history gets both clicks', async () => {
    let now = T0 + 6 * S;
    const clock = () => now;
    const state = new MemoryPaneState(clock);
    const history = new FlakyHistory(true, 1_000_000);
    const log = new MemoryLog(1);
    const processor = new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
    const writer = new HistoryWriter(state, log, definitions, history, writerOptions({ maxPanesPerTick: 20_000, retentionMs: HOUR + MINUTE, holdMs: 3 * HOUR }), clock);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await processor.onBatch({ partition: 0, records: [click(0, T0 + 5 * S)] });
      for (now = T0 + 70 * S; now < T0 + 30 * MINUTE; now += 20 * S) {
        await writer.tick();
      }
      expect(writer.snapshot().panesHeld).toBeGreaterThan(0);
      // Half an hour into the outage the idle partition gets a click for the held pane: above the
      // (stuck) seal, so it is accepted and committed.
      await processor.onBatch({ partition: 0, records: [click(1, T0 + 5 * S + 500)] });
      expect(processor.snapshot()).toMatchObject({ tooLate: 0, sealedBatches: 0, commits: 2 });
      for (; now < T0 + 2 * HOUR; now += 20 * S) {
        await writer.tick();
      }
      history.down = false;
      now += S;
      await writer.tick();
      const [series] = await history.aggregate({ name: 'panecast_clicks_count', match: { window: ['1s'] }, op: 'sum', by: [], windowMs: S, start: T0 + 6 * S, end: T0 + 6 * S, stepMs: S });
      expect(series?.points[0]?.[1] ?? 0).toBe(2);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });
});
