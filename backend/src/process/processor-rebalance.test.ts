/**
 * A rebalance that lands while a batch awaits the store. The group may take
 * a partition away while the processor loads its state or commits a batch,
 * and give it back later (a member joins, then leaves). Before, a load that
 * finished after the partition was taken away was kept as the partition's
 * state, and a commit fenced after the partition came back marked it fenced:
 * either way every later batch of the partition was refused (FencedError,
 * redelivered, refused again) until some other rebalance, so its events
 * stopped reaching the panes and the live channel.
 */
import { join } from 'node:path';
import type { ConsumerHandlers, LogConsumer, LogRecord } from '../buffer/event-log';
import { MemoryLog } from '../buffer/memory-log';
import { encodeEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { MemoryPaneState } from '../store/memory-pane-state';
import { FencedError, type CommitOutcome, type PartitionCommit, type PartitionProgress, type PartitionState } from '../store/pane-state';
import { compileQuery, compose, PaneStore } from '../window';
import { Processor } from './processor';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;

/** A log whose group the test drives by hand: assignments and batches arrive when the test says. */
class ManualLog extends MemoryLog {
  handlers: ConsumerHandlers | undefined;

  override async consume(_groupId: string, handlers: ConsumerHandlers): Promise<LogConsumer> {
    this.handlers = handlers;
    return { stop: async () => undefined };
  }

  assign(partitions: readonly number[]): void {
    this.handlers?.onAssign?.(partitions);
  }
}

/** Holds a call open until the test lets it go, as a slow Redis reply would. */
class Gate {
  private open: () => void = () => undefined;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  private arrive: () => void = () => undefined;
  readonly reached = new Promise<void>((resolve) => (this.arrive = resolve));

  async pass(): Promise<void> {
    this.arrive();
    await this.opened;
  }

  release(): void {
    this.open();
  }
}

class GatedPaneState extends MemoryPaneState {
  loadGate: Gate | undefined;
  commitGate: Gate | undefined;

  override async loadPartition(partition: number, since: (progress: PartitionProgress) => number): Promise<PartitionState> {
    // The epoch is taken first (Redis INCRs it before reading); only the answer is late.
    const state = await super.loadPartition(partition, since);
    const gate = this.loadGate;
    this.loadGate = undefined;
    await gate?.pass();
    return state;
  }

  override async commit(commit: PartitionCommit): Promise<CommitOutcome> {
    // The script runs late: after whatever the test does meanwhile.
    const gate = this.commitGate;
    this.commitGate = undefined;
    await gate?.pass();
    return super.commit(commit);
  }
}

function batch(from: number, to: number): { partition: number; records: LogRecord[] } {
  const records = [];
  for (let offset = from; offset <= to; offset++) {
    records.push({ partition: 0, offset, key: 'click', value: encodeEvent({ type: 'click', ts: T0 + offset * 10, tsSource: 'event', fields: {} }), timestamp: T0 });
  }
  return { partition: 0, records };
}

/** As the log does: a batch whose handler throws is delivered again (three tries here). */
async function deliver(processor: Processor, records: { partition: number; records: LogRecord[] }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await processor.onBatch(records);
      return;
    } catch (error) {
      if (!(error instanceof FencedError) || attempt === 3) {
        throw error;
      }
    }
  }
}

/** Clicks in the store, merged over partitions and panes. */
async function storedClicks(state: MemoryPaneState): Promise<number> {
  const stores = [...(await state.readPanes('events', 1000, [T0])).values()].map((partials) => {
    const store = new PaneStore(definitions);
    store.load(partials);
    return store;
  });
  const query = compileQuery({ metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } }, definitions);
  return compose(stores, query, { from: T0, to: T0 + 1000 }, Number.POSITIVE_INFINITY)
    .flatMap((group) => group.points)
    .reduce((sum, point) => sum + point.value, 0);
}

function rig() {
  const state = new GatedPaneState();
  const logs = [new ManualLog(1), new ManualLog(1)] as const;
  const [a, b] = logs.map((log) => new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} })) as [Processor, Processor];
  return { state, logs, a, b };
}

describe('a rebalance while a batch awaits the store', () => {
  it('does not keep a load that finished after the partition was taken away', async () => {
    const { state, logs, a, b } = rig();
    await a.start();
    await b.start();
    logs[0].assign([0]);
    const gate = (state.loadGate = new Gate());
    const first = a.onBatch(batch(0, 1));
    await gate.reached;
    // A member joins and gets partition 0 while a's load is on its way.
    logs[0].assign([]);
    gate.release();
    await first;
    logs[1].assign([0]);
    await deliver(b, batch(0, 3));
    // The member leaves again: partition 0 comes back to a, redelivered from the group's offset.
    logs[1].assign([]);
    logs[0].assign([0]);
    await deliver(a, batch(2, 5));
    expect(await storedClicks(state)).toBe(6);
    expect(a.snapshot().partitions).toEqual([0]);
  });

  it('does not mark a partition fenced when it came back while the fenced commit was on its way', async () => {
    const { state, logs, a, b } = rig();
    await a.start();
    await b.start();
    logs[0].assign([0]);
    await deliver(a, batch(0, 1));
    const gate = (state.commitGate = new Gate());
    const second = a.onBatch(batch(2, 3));
    await gate.reached;
    // Taken away, applied by another member, given back: all before a's commit reaches the store.
    logs[0].assign([]);
    logs[1].assign([0]);
    await deliver(b, batch(0, 3));
    logs[1].assign([]);
    logs[0].assign([0]);
    gate.release();
    await expect(second).rejects.toBeInstanceOf(FencedError);
    await deliver(a, batch(2, 5));
    expect(await storedClicks(state)).toBe(6);
  });
});
