/**
 * A partition whose processor is down holds history back (its records wait
 * in the log), and the other partitions' panes must outlive the wait: once
 * the writer is held back further behind the clock than half the pane
 * retention, it holds the panes not written yet, as in an outage (before,
 * only a failing write held them, and a stall longer than the retention lost
 * the healthy partitions' history).
 *
 * Retention is shortened here (fine tier 3 min + 60 s lateness) so the test
 * runs in a few hundred steps; with the defaults the same holds for a
 * processor down for more than 1 h + 60 s.
 */
import { MemoryLog } from '../buffer/memory-log';
import { keyFor } from '../../test/partition-keys';
import { encodeEvent } from '../collect/event';
import { MemoryHistory } from '../store/memory-history';
import { MemoryPaneState } from '../store/memory-pane-state';
import { parseMetricDefinitions } from '../window';
import { HistoryWriter } from './history-writer';
import { Processor } from './processor';
import { writerOptions } from '../../test/history-writer-options';

const T0 = 1_800_000_000_000; // a whole minute
const S = 1000;
const FINE_MS = 180_000;
const RETENTION_MS = FINE_MS + 60_000;
const definitions = parseMetricDefinitions({ metrics: [{ name: 'clicks', description: 'x', match: { type: 'click' }, dimensions: [] }] }, 'test.yaml');

describe('a stalled partition and the other partitions\u2019 retention', () => {
  it('keeps the busy partition\u2019s panes until history has written them, however long the other one stalls', async () => {
    let now = T0 + 6 * S;
    const clock = () => now;
    const state = new MemoryPaneState(clock);
    const log = new MemoryLog(2);
    const history = new MemoryHistory(1_000_000);
    const processor = new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: { fineRetentionMs: FINE_MS } }, clock);
    const writer = new HistoryWriter(state, log, definitions, history, writerOptions({ retentionMs: RETENTION_MS, holdMs: 3 * 3_600_000, maxPanesPerTick: 20_000 }), clock);
    const append = (partition: number, ts: number) =>
      log.append([{ key: keyFor(partition, 2), value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }), timestamp: ts }]);
    const consume = (partition: number) => processor.onBatch({ partition, records: [...log.records(partition)] });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await append(0, T0 + 5 * S);
      await consume(0);
      // Partition 0's processor goes down with one record waiting; partition 1 runs on for 10 min.
      await append(0, T0 + 20 * S);
      const times = [T0 + 5 * S, T0 + 20 * S];
      for (let t = T0 + 10 * S; t <= T0 + 600 * S; t += 5 * S) {
        now = t + S;
        await append(1, t);
        await consume(1);
        times.push(t);
        await writer.tick();
      }
      // Partition 0 is back: its record applies (not late), and history catches up a few seconds later.
      await consume(0);
      expect(processor.snapshot()).toMatchObject({ tooLate: 0, sealedBatches: 0 });
      now = T0 + 605 * S;
      await writer.tick();
      const cursor = (await state.readMark('history')) as number;
      expect(cursor).toBeGreaterThan(T0 + 500 * S);
      const clicks = times.filter((ts) => ts < cursor).length;
      const [series] = await history.aggregate({ name: 'panecast_clicks_count', match: { window: ['1s'] }, op: 'sum', by: [], windowMs: 3_600_000, start: T0 + 3_600_000, end: T0 + 3_600_000, stepMs: S });
      const counted = series?.points[0]?.[1] ?? 0;
      // Every click once: the first minutes of partition 1 expired from the pane store while
      // history waited for partition 0, and never reached history.
      expect({ counted, panesPastRetention: writer.snapshot().panesPastRetention }).toEqual({ counted: clicks, panesPastRetention: 0 });
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });
});
