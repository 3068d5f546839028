/**
 * A partition back from idleness must not change a pane history has read.
 *
 * The history writer follows the clock for an idle partition, so it writes
 * panes that partition could, by its own watermark, still accept. Without
 * the seal such an event landed in the panes (and the live channel) but
 * never in history. With it the event is too late, like any event behind
 * the watermark, and goes to the late-events topic.
 */
import { MemoryLog } from '../buffer/memory-log';
import type { LogRecord } from '../buffer/event-log';
import { encodeEvent } from '../collect/event';
import { MemoryHistory } from '../store/memory-history';
import { MemoryPaneState } from '../store/memory-pane-state';
import { HISTORY_SEAL } from '../store/pane-state';
import { compileQuery, compose, PaneStore, parseMetricDefinitions } from '../window';
import { HistoryWriter } from './history-writer';
import { Processor } from './processor';
import { writerOptions } from '../../test/history-writer-options';

const T0 = 1_800_000_000_000; // a whole minute
const S = 1000;
const document = { metrics: [{ name: 'clicks', description: 'x', match: { type: 'click' }, dimensions: [] }] };
const definitions = parseMetricDefinitions(document, 'test.yaml');

function click(partition: number, offset: number, ts: number): LogRecord {
  return { partition, offset, key: 'click', value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }), timestamp: ts };
}

function rig() {
  let now = T0;
  const clock = () => now;
  const state = new MemoryPaneState(clock);
  const history = new MemoryHistory(1_000_000);
  const log = new MemoryLog(2);
  const processor = new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} }, clock);
  const writer = new HistoryWriter(state, log, definitions, history, writerOptions(), clock);
  /** Partition 0 commits once at T0 + 6 s, then goes idle; partition 1 stays busy until `until`. */
  const run = async (until: number) => {
    now = T0 + 6 * S;
    await processor.onBatch({ partition: 0, records: [click(0, 0, T0 + 5 * S)] });
    let offset = 0;
    for (let t = T0 + 5 * S; t <= until; t += 5 * S) {
      now = t + S;
      await processor.onBatch({ partition: 1, records: [click(1, offset++, t)] });
      await writer.tick();
    }
  };
  /** The count of one pane in history, and in the panes. */
  const counts = async (paneStart: number) => {
    const points = await history.aggregate({ name: 'panecast_clicks_count', match: { window: ['1s'] }, op: 'sum', by: [], windowMs: S, start: paneStart + S, end: paneStart + S, stepMs: S });
    const stores = [...(await state.readPanes('clicks', S, [paneStart])).values()].map((partials) => {
      const store = new PaneStore(definitions);
      store.load(partials);
      return store;
    });
    const query = compileQuery({ metric: 'clicks', aggregate: 'count', window: { sizeMs: S } }, definitions);
    const live = compose(stores, query, { from: paneStart, to: paneStart + S }, Number.POSITIVE_INFINITY).flatMap((group) => group.points);
    return { history: points[0]?.points[0]?.[1] ?? 0, panes: live[0]?.value ?? 0 };
  };
  return { state, log, processor, writer, run, counts, setNow: (t: number) => (now = t) };
}

describe('the history seal', () => {
  it('refuses an idle partition an event in a pane history has read: too late, to the late topic, history and panes agree', async () => {
    const { state, log, processor, run, counts } = rig();
    await run(T0 + 200 * S);
    const seal = (await state.readMark(HISTORY_SEAL)) as number;
    // Partition 1 leads at 200 s, partition 0 follows the clock: history has read up to ~138 s.
    expect(seal).toBeGreaterThan(T0 + 100 * S);
    expect(seal).toBeLessThanOrEqual(T0 + 140 * S);
    // By its own watermark (3 s) partition 0 may still take 100 s; history has read that pane.
    await processor.onBatch({ partition: 0, records: [click(0, 1, T0 + 100 * S + 400)] });
    expect(processor.snapshot()).toMatchObject({ sealedBatches: 1, tooLate: 1, commits: expect.any(Number) });
    expect(log.late.map((record) => record.timestamp)).toEqual([T0 + 100 * S + 400]);
    expect(await counts(T0 + 100 * S)).toEqual({ history: 1, panes: 1 });
  });

  it('lets the same partition correct a pane at or above the seal, which history then writes; the commit brings the seal along', async () => {
    const { state, log, processor, writer, run, counts, setNow } = rig();
    await run(T0 + 200 * S);
    const seal = (await state.readMark(HISTORY_SEAL)) as number;
    const before = await counts(seal);
    expect(before.history).toBe(0);
    await processor.onBatch({ partition: 0, records: [click(0, 1, seal + 200)] });
    expect(processor.snapshot()).toMatchObject({ sealedBatches: 0, tooLate: 0 });
    expect(log.late).toEqual([]);
    // That commit brought the seal along: an event behind it is now judged too late at once,
    // with no refused commit and no reload of the partition.
    await processor.onBatch({ partition: 0, records: [click(0, 2, T0 + 100 * S)] });
    expect(processor.snapshot()).toMatchObject({ sealedBatches: 0, tooLate: 1 });
    setNow(T0 + 400 * S);
    await writer.tick();
    expect(await counts(seal)).toEqual({ history: before.panes + 1, panes: before.panes + 1 });
  });

  it('sends each late event once when a batch is applied again on the newer seal', async () => {
    const { log, processor, run } = rig();
    await run(T0 + 200 * S);
    // One event too late by the partition's own watermark (sent on the first application), one
    // behind the seal only (found on the second): each reaches the late topic once.
    await processor.onBatch({ partition: 0, records: [click(0, 1, T0 - 100 * S), click(0, 2, T0 + 100 * S)] });
    expect(log.late.map((record) => record.timestamp)).toEqual([T0 - 100 * S, T0 + 100 * S]);
    expect(processor.snapshot()).toMatchObject({ sealedBatches: 1, tooLate: 2 });
  });

  it('is raised before the writer reads: a commit in flight below it is refused whatever the processor saw', async () => {
    const state = new MemoryPaneState();
    const { epoch } = await state.loadPartition(0, () => Number.NEGATIVE_INFINITY);
    expect(await state.raiseMark(HISTORY_SEAL, T0 + 10 * S)).toBe(T0 + 10 * S);
    // Monotonic: a second writer behind the first does not lower it.
    expect(await state.raiseMark(HISTORY_SEAL, T0 + 5 * S)).toBe(T0 + 10 * S);
    const commit = { partition: 0, epoch, offset: 3, progress: { maxEventTime: T0, committedAt: 1 }, partials: [], retentionMs: () => 3_600_000 };
    expect(await state.commit({ ...commit, seal: { mark: HISTORY_SEAL, oldestPane: T0 + 9 * S } })).toEqual({ status: 'sealed', ledgers: [], seal: T0 + 10 * S });
    expect((await state.loadPartition(0, () => Number.NEGATIVE_INFINITY)).offset).toBe(-1);
  });
});
