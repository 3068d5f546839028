/**
 * The cardinality cap over partitions and processors (window/admission.ts):
 * plain data through processors on the memory pane state, as readers merge it.
 */
import { CAP, T0, cappedDefinitions, cappedProcessor, expectedTotals, overflowEvents, paneStartsOf, purchases, recordsOf, storedTotals, type Purchase } from '../../test/capped-stream';
import { MemoryLog } from '../buffer/memory-log';
import { MemoryPaneState } from '../store/memory-pane-state';
import type { PartitionCommit } from '../store/pane-state';
import { OTHER } from '../window';
import { Processor } from './processor';

/** Even-numbered purchases to partition 0, odd ones to partition 1: every user on both. */
function split(list: readonly Purchase[]): [Purchase[], Purchase[]] {
  return [list.filter((_, i) => i % 2 === 0), list.filter((_, i) => i % 2 === 1)];
}

/** Partition 1 meets the users in another order than partition 0, so both claim different ones first. */
function rotated(list: readonly Purchase[]): Purchase[] {
  return list.map((p) => ({ ...p, user: `u${(Number(p.user.slice(1)) + 4) % 8}` }));
}

function admittedOf(totals: ReadonlyMap<string, unknown>): Set<string> {
  return new Set([...totals.keys()].filter((user) => user !== OTHER));
}

describe('Processor: one cardinality cap over all partitions', () => {
  it('serves exactly the cap of tuples over two processors; every other event counts in __other__, counts and sums exact', async () => {
    const state = new MemoryPaneState();
    const [a, b] = [cappedProcessor(state), cappedProcessor(state)];
    const [zero, oneAsIs] = split(purchases(0, 400, 8));
    const one = rotated(oneAsIs);
    // Side by side: both processors route their new tuples on the same (empty) ledger.
    await Promise.all([a.onBatch({ partition: 0, records: recordsOf(0, 0, zero) }), b.onBatch({ partition: 1, records: recordsOf(1, 0, one) })]);
    const [zeroLater, oneLaterAsIs] = split(purchases(400, 400, 8));
    const oneLater = rotated(oneLaterAsIs);
    await a.onBatch({ partition: 0, records: recordsOf(0, zero.length, zeroLater) });
    await b.onBatch({ partition: 1, records: recordsOf(1, one.length, oneLater) });

    const all = [...zero, ...one, ...zeroLater, ...oneLater];
    const totals = await storedTotals(state, paneStartsOf(all));
    const admitted = admittedOf(totals);
    expect(admitted.size).toBe(CAP);
    // An admitted user's series holds its events from both partitions; everything else is in __other__.
    expect(totals).toEqual(expectedTotals(all, admitted));
    expect(overflowEvents([a, b])).toBe(totals.get(OTHER)?.count);
    expect(totals.get(OTHER)?.count).toBeGreaterThan(0);
    const ledger = await state.readLedger('spend');
    expect(new Set(ledger.members.map((key) => (JSON.parse(key) as string[])[0]))).toEqual(admitted);
    // The second processor claimed places the first had taken: its batch was routed again, once.
    const stats = [a.snapshot(), b.snapshot()];
    expect(stats.map((s) => s.reroutedBatches).reduce((x, y) => x + y)).toBe(1);
    expect(stats.map((s) => [s.consumed, s.commits, s.failedCommits])).toEqual([
      [400, 2, 0],
      [400, 2, 0],
    ]);
  });

  it('gives the same panes and ledger after a crash before a commit and a replay by a new processor', async () => {
    const batches = split(purchases(0, 600, 9));
    const run = async (crash: boolean) => {
      const state = new MemoryPaneState();
      const commit = state.commit.bind(state);
      state.commit = async (c: PartitionCommit) => {
        if (crash && c.partition === 0 && c.offset === 299) {
          crash = false;
          throw new Error('killed before the commit');
        }
        return commit(c);
      };
      let a = cappedProcessor(state);
      const b = cappedProcessor(state);
      const [zero, one] = batches;
      await a.onBatch({ partition: 0, records: recordsOf(0, 0, zero.slice(0, 150)) });
      await b.onBatch({ partition: 1, records: recordsOf(1, 0, one.slice(0, 150)) });
      const rest = { partition: 0, records: recordsOf(0, 0, zero) };
      if (crash) {
        await expect(a.onBatch({ partition: 0, records: recordsOf(0, 150, zero.slice(150)) })).rejects.toThrow('killed');
        // A new process takes the partition over; the log redelivers from an older position.
        a = cappedProcessor(state);
      }
      await a.onBatch(rest);
      await b.onBatch({ partition: 1, records: recordsOf(1, 150, one.slice(150)) });
      const cells = [];
      for (const partition of [0, 1]) {
        const { partials, offset } = await state.loadPartition(partition, () => Number.NEGATIVE_INFINITY);
        cells.push(offset, ...partials.map((p) => `${p.resolutionMs} ${p.paneStart} ${p.seriesKey} ${Buffer.from(p.bytes).toString('hex')}`).sort());
      }
      const ledger = await state.readLedger('spend');
      return { cells, ledger: { ...ledger, members: [...ledger.members].sort() }, totals: await storedTotals(state, paneStartsOf(purchases(0, 600, 9))) };
    };
    const clean = await run(false);
    const crashed = await run(true);
    expect(crashed).toEqual(clean);
    expect(clean.ledger.count).toBe(CAP);
    expect(clean.totals).toEqual(expectedTotals(purchases(0, 600, 9), admittedOf(clean.totals)));
  });

  it('frees the places of tuples silent past the retention, for the tuples that come next', async () => {
    const state = new MemoryPaneState();
    // Short tiers, so the registry's horizon (and the ledger's) passes within minutes of event time.
    const engine = { allowedLatenessMs: 0, fineRetentionMs: 61_000, coarseRetentionMs: 120_000 };
    const p = new Processor(new MemoryLog(1), state, cappedDefinitions, { groupId: 'g', outOfOrdernessMs: 0, engine });
    const at = (offset: number, user: string, ts: number) => recordsOf(0, offset, [{ user, amount: 1, ts }]);
    let offset = 0;
    for (const user of ['u0', 'u1', 'u2', 'u3']) {
      await p.onBatch({ partition: 0, records: at(offset++, user, T0 + offset * 1000) });
    }
    expect((await state.readLedger('spend')).count).toBe(CAP);
    // Ten minutes on, u4…u6: the first batch still finds the ledger full (its commit frees the
    // silent members' places), the next ones get places of their own.
    const later = T0 + 600_000;
    for (let round = 0; round < 3; round++) {
      for (const user of ['u4', 'u5', 'u6']) {
        await p.onBatch({ partition: 0, records: at(offset++, user, later + round * 1000) });
      }
    }
    const ledger = await state.readLedger('spend');
    expect([...ledger.members].sort()).toEqual(['["u4"]', '["u5"]', '["u6"]']);
    const totals = await storedTotals(state, [later + 1000, later + 2000]);
    expect(totals).toEqual(
      new Map([
        ['u4', { count: 2, sum: 2 }],
        ['u5', { count: 2, sum: 2 }],
        ['u6', { count: 2, sum: 2 }],
      ]),
    );
  });
});
