/**
 * A silent partition follows the clock in the history writer only when the
 * log holds nothing of it waiting: a partition whose processor is behind or
 * down (or that no processor has applied yet) holds history back, so its
 * backlog is not sealed off and judged too late when it is applied.
 */
import { MemoryLog } from '../buffer/memory-log';
import { keyFor } from '../../test/partition-keys';
import { encodeEvent } from '../collect/event';
import { MemoryHistory } from '../store/memory-history';
import { MemoryPaneState } from '../store/memory-pane-state';
import { HISTORY_SEAL } from '../store/pane-state';
import { parseMetricDefinitions } from '../window';
import { HistoryWriter } from './history-writer';
import { Processor } from './processor';
import { writerOptions } from '../../test/history-writer-options';

const T0 = 1_800_000_000_000; // a whole minute
const S = 1000;
const definitions = parseMetricDefinitions({ metrics: [{ name: 'clicks', description: 'x', match: { type: 'click' }, dimensions: [] }] }, 'test.yaml');

function rig() {
  let now = T0;
  const clock = () => now;
  const state = new MemoryPaneState(clock);
  const log = new MemoryLog(2);
  const history = new MemoryHistory(1_000_000);
  const processor = new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
  const writer = new HistoryWriter(state, log, definitions, history, writerOptions(), clock);
  /** Appends clicks at these event times to one partition's log, under a key found to land there. */
  const append = async (partition: number, times: number[]) => {
    const key = keyFor(partition, 2);
    await log.append(times.map((ts) => ({ key, value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }), timestamp: ts })));
  };
  /** Applies what the log holds of `partition` past what was applied (the processor skips the rest). */
  const consume = async (partition: number) => processor.onBatch({ partition, records: [...log.records(partition)] });
  /** Partition 1 busy from 5 s to `until`, the writer ticking along. */
  const busy = async (until: number) => {
    for (let t = T0 + 5 * S; t <= until; t += 5 * S) {
      now = t + S;
      await append(1, [t]);
      await consume(1);
      await writer.tick();
    }
  };
  const counted = async () =>
    (await history.aggregate({ name: 'panecast_clicks_count', match: { window: ['1s'] }, op: 'sum', by: [], windowMs: 3_600_000, start: T0 + 3_600_000, end: T0 + 3_600_000, stepMs: S }))[0]?.points[0]?.[1] ?? 0;
  return { state, log, processor, writer, append, consume, busy, counted, setNow: (t: number) => (now = t) };
}

describe('history writer and the log behind it', () => {
  it('waits for a silent partition whose records are waiting, and its backlog counts once applied', async () => {
    const { state, log, processor, writer, append, consume, busy, counted, setNow } = rig();
    setNow(T0 + 6 * S);
    await append(0, [T0 + 5 * S]);
    await consume(0);
    // Partition 0's processor goes down: its records keep arriving, unapplied, while partition 1 runs on.
    await append(0, [T0 + 30 * S, T0 + 60 * S, T0 + 90 * S]);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await busy(T0 + 200 * S);
      // An operator hears of it, at most once a minute, and /v1/stats counts what waits.
      const said = warn.mock.calls.map((call) => String(call[0]));
      expect(said.length).toBeGreaterThan(0);
      expect(said.length).toBeLessThanOrEqual(3);
      expect(said.every((text) => text.includes('partition 0: 3 records, no commit for'))).toBe(true);
      expect(writer.snapshot().waitingRecords).toBe(3);
    } finally {
      warn.mockRestore();
    }
    // History held at partition 0's own watermark (3 s), nothing sealed past it.
    expect((await state.readMark(HISTORY_SEAL)) ?? Number.NEGATIVE_INFINITY).toBeLessThanOrEqual(T0 + 5 * S);
    await consume(0);
    expect(processor.snapshot()).toMatchObject({ tooLate: 0, sealedBatches: 0 });
    expect(log.late).toEqual([]);
    // Caught up and quiet: the clock carries history past everything; every click is in it once.
    setNow(T0 + 400 * S);
    for (let i = 0; i < 3; i++) {
      await writer.tick();
    }
    expect(await counted()).toBe(4 + 40);
    expect(writer.snapshot().waitingRecords).toBe(0);
  });

  it('writes nothing while a partition holds records no processor has applied yet', async () => {
    const { state, append, busy } = rig();
    await append(0, [T0 + 5 * S]);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await busy(T0 + 200 * S);
      // Named as never applied, not as behind: no processor has taken the partition at all.
      const said = warn.mock.calls.map((call) => String(call[0]));
      expect(said.length).toBeGreaterThan(0);
      expect(said.every((text) => text.includes('partition 0: 1 records, none applied yet'))).toBe(true);
    } finally {
      warn.mockRestore();
    }
    expect(await state.readMark(HISTORY_SEAL)).toBeUndefined();
    expect(await state.readMark('history')).toBeUndefined();
  });
});
