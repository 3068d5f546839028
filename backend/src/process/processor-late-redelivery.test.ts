/**
 * Too-late events go to the late-events topic before the batch's commit, so a
 * commit that fails has them appended already. The log then redelivers the
 * batch to the same processor: its late events must not be appended (and
 * counted in `tooLate`) a second time.
 */
import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import type { LogRecord } from '../buffer/event-log';
import { encodeEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { MemoryPaneState } from '../store/memory-pane-state';
import type { CommitOutcome, PartitionCommit } from '../store/pane-state';
import { Processor } from './processor';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;

/** A pane state whose next `failures` commits fail, as Redis going away mid-batch would. */
class FlakyPaneState extends MemoryPaneState {
  failures = 0;

  override async commit(commit: PartitionCommit): Promise<CommitOutcome> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('redis: connection lost');
    }
    return super.commit(commit);
  }
}

const record = (offset: number, ts: number): LogRecord => ({ partition: 0, offset, key: 'click', value: encodeEvent({ type: 'click', ts, tsSource: 'event', fields: {} }), timestamp: ts });

describe('a batch redelivered after its commit failed', () => {
  it('sends its too-late events to the late topic once, and counts them once', async () => {
    const log = new MemoryLog(2);
    const state = new FlakyPaneState();
    const processor = new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} });
    // The second event is 100 s behind the first: past the allowed lateness (60 s).
    const batch = { partition: 0, records: [record(0, T0 + 100_000), record(1, T0), record(2, T0 + 100_100)] };
    state.failures = 1;
    await expect(processor.onBatch(batch)).rejects.toThrow('connection lost');
    expect(log.late.map((late) => late.timestamp)).toEqual([T0]);
    await processor.onBatch(batch);
    expect(log.late.map((late) => late.timestamp)).toEqual([T0]);
    expect(processor.snapshot()).toMatchObject({ tooLate: 1, commits: 1 });
    // A later batch's late event still goes out.
    await processor.onBatch({ partition: 0, records: [record(3, T0 + 500)] });
    expect(log.late.map((late) => late.timestamp)).toEqual([T0, T0 + 500]);
    expect(processor.snapshot()).toMatchObject({ tooLate: 2 });
  });
});
