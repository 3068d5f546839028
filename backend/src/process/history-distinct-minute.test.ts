/**
 * The minute's distinct count (`_distinct{window="1m"}`), read from all 60
 * fine panes of the minute: written for every minute history passes, also
 * when the minute's last second had no event (before, it came only with
 * that pane), and held from the minute's start during an outage, so panes
 * written before the outage began still count for it.
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
const definitions = parseMetricDefinitions(
  { metrics: [{ name: 'visits', description: 'x', match: { type: 'visit' }, dimensions: [], distinctOf: 'user' }] },
  'test.yaml',
);

function visit(offset: number, ts: number, user: string): LogRecord {
  return { partition: 0, offset, key: 'v', value: encodeEvent({ type: 'visit', ts, tsSource: 'event', fields: { user } }), timestamp: ts };
}

describe('a minute\u2019s distinct count, with and without a VictoriaMetrics outage', () => {
  it('is written for a minute whose last second had no event (no outage at all)', async () => {
    let now = T0 + 6 * S;
    const clock = () => now;
    const state = new MemoryPaneState(clock);
    const history = new FlakyHistory(false, 1_000_000);
    const processor = new Processor(new MemoryLog(1), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
    // A first run reaching back before the minute, so the writer passes its end.
    const writer = new HistoryWriter(state, new MemoryLog(1), definitions, history, writerOptions({ initialLookbackMs: 10 * MINUTE }), clock);
    await processor.onBatch({ partition: 0, records: [visit(0, T0 + 5 * S, 'a')] });
    now = T0 + 41 * S;
    await processor.onBatch({ partition: 0, records: [visit(1, T0 + 40 * S, 'b')] });
    now = T0 + 200 * S;
    await writer.tick();
    expect(await state.readMark('history')).toBeGreaterThan(T0 + MINUTE);
    const minute = history.kept.filter((sample) => sample.name === 'panecast_visits_distinct' && sample.labels.window === '1m' && sample.timestamp === T0 + MINUTE);
    // The README: distinct for window="1m" from history; the datasource reads whole minutes there.
    expect(minute.map((sample) => sample.value)).toEqual([2]);
  });

  it('counts both users of the minute when history went down in the middle of it', async () => {
    let now = T0 + 6 * S;
    const clock = () => now;
    const state = new MemoryPaneState(clock);
    const history = new FlakyHistory(false, 1_000_000);
    const processor = new Processor(new MemoryLog(1), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
    const writer = new HistoryWriter(state, new MemoryLog(1), definitions, history, writerOptions({ maxPanesPerTick: 20_000, retentionMs: HOUR + MINUTE, holdMs: 3 * HOUR }), clock);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await processor.onBatch({ partition: 0, records: [visit(0, T0 + 5 * S, 'a')] });
      now = T0 + 41 * S;
      await processor.onBatch({ partition: 0, records: [visit(1, T0 + 40 * S, 'b')] });
      // The minute's last pane has a visit (of a user already counted): the writer writes the minute's distinct with it.
      now = T0 + 60 * S;
      await processor.onBatch({ partition: 0, records: [visit(2, T0 + 59 * S, 'b')] });
      // History writes up to 30 s of the minute, then goes down for 2 h.
      now = T0 + 92 * S;
      await writer.tick();
      expect(await state.readMark('history')).toBe(T0 + 30 * S);
      history.down = true;
      for (now += 20 * S; now < T0 + 2 * HOUR; now += 20 * S) {
        await writer.tick();
      }
      history.down = false;
      now += S;
      await writer.tick();
      const minute = history.kept.filter((sample) => sample.name === 'panecast_visits_distinct' && sample.labels.window === '1m' && sample.timestamp === T0 + MINUTE);
      expect(minute.map((sample) => sample.value)).toEqual([2]);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });
});
