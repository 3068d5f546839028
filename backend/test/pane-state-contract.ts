/**
 * The behaviour every pane-state store must have, run against the memory
 * twin (unit tests) and Redis (services tests), so the twin cannot drift.
 */
import { FencedError, type PaneStateStore } from '../src/store/pane-state';
import { OTHER, type AdmissionRequest, type LedgerView, type StoredPartial } from '../src/window';
import { CAP, cappedProcessor, expectedTotals, overflowEvents, paneStartsOf, purchases, recordsOf, storedTotals } from './capped-stream';

function partial(metric: string, paneStart: number, seriesKey: string, byte: number): StoredPartial {
  return { metric, resolutionMs: 1000, paneStart, seriesKey, bytes: new Uint8Array([1, 0, byte]) };
}

const retention = () => 3_600_000;

export function paneStateContract(name: string, make: () => Promise<PaneStateStore>): void {
  describe(`${name} pane-state store`, () => {
    it('starts empty: offset -1, no progress, no partials, no marks', async () => {
      const store = await make();
      const state = await store.loadPartition(0, () => Number.NEGATIVE_INFINITY);
      expect(state.offset).toBe(-1);
      expect(state.progress.maxEventTime).toBe(Number.NEGATIVE_INFINITY);
      expect(state.partials).toEqual([]);
      expect(await store.readMark('history')).toBeUndefined();
      expect((await store.readProgress()).size).toBe(0);
    });

    it('commits partials, offset and progress together and loads them back per partition', async () => {
      const store = await make();
      const { epoch } = await store.loadPartition(0, () => Number.NEGATIVE_INFINITY);
      const { epoch: epochOne } = await store.loadPartition(1, () => Number.NEGATIVE_INFINITY);
      await store.commit({
        epoch,
        partition: 0,
        offset: 41,
        progress: { maxEventTime: 5000, committedAt: 9 },
        partials: [partial('m', 1000, '["a"]', 1), partial('m', 2000, '["a/b"]', 2)],
        retentionMs: retention,
      });
      await store.commit({ epoch: epochOne, partition: 1, offset: 7, progress: { maxEventTime: 2500, committedAt: 9 }, partials: [partial('m', 2000, '["a/b"]', 3)], retentionMs: retention });
      // A later commit of the same cell overwrites it (full state, not a delta).
      await store.commit({ epoch, partition: 0, offset: 50, progress: { maxEventTime: 6000, committedAt: 10 }, partials: [partial('m', 1000, '["a"]', 4)], retentionMs: retention });

      const zero = await store.loadPartition(0, () => Number.NEGATIVE_INFINITY);
      expect(zero.offset).toBe(50);
      expect(zero.progress).toEqual({ maxEventTime: 6000, committedAt: 10 });
      const cells = zero.partials.map((p) => [p.paneStart, p.seriesKey, p.bytes[2]]).sort();
      expect(cells).toEqual([[1000, '["a"]', 4], [2000, '["a/b"]', 2]]);
      expect((await store.loadPartition(0, () => 1500)).partials.map((p) => p.paneStart)).toEqual([2000]);
      expect((await store.loadPartition(1, () => Number.NEGATIVE_INFINITY)).partials.map((p) => p.bytes[2])).toEqual([3]);

      const panes = await store.readPanes('m', 1000, [1000, 2000, 3000]);
      expect([...panes.keys()].sort()).toEqual([0, 1]);
      expect(panes.get(1)?.map((p) => [p.paneStart, p.seriesKey])).toEqual([[2000, '["a/b"]']]);
      const progress = await store.readProgress();
      expect(progress.get(1)).toEqual({ maxEventTime: 2500, committedAt: 9 });
      expect(await store.readCommitted()).toEqual(
        new Map([
          [0, { offset: 50, maxEventTime: 6000, committedAt: 10 }],
          [1, { offset: 7, maxEventTime: 2500, committedAt: 9 }],
        ]),
      );
    });

    it('keeps the newest event time beside the clock when a sender stamped events ahead of it', async () => {
      const store = await make();
      const { epoch } = await store.loadPartition(4, () => Number.NEGATIVE_INFINITY);
      await store.commit({ epoch, partition: 4, offset: 3, progress: { maxEventTime: 5000, newestEventTime: 245_000, committedAt: 9 }, partials: [], retentionMs: retention });
      expect((await store.readProgress()).get(4)).toEqual({ maxEventTime: 5000, newestEventTime: 245_000, committedAt: 9 });
      expect((await store.loadPartition(4, () => Number.NEGATIVE_INFINITY)).progress).toEqual({ maxEventTime: 5000, newestEventTime: 245_000, committedAt: 9 });
    });

    it('keeps where the partition was rolled up to, for the next load to start no later', async () => {
      const store = await make();
      const { epoch } = await store.loadPartition(5, () => Number.NEGATIVE_INFINITY);
      await store.commit({ epoch, partition: 5, offset: 3, progress: { maxEventTime: 900_000, committedAt: 9, rolledUpTo: 240_000 }, partials: [], retentionMs: retention });
      expect((await store.loadPartition(5, () => Number.NEGATIVE_INFINITY)).progress).toEqual({ maxEventTime: 900_000, committedAt: 9, rolledUpTo: 240_000 });
    });

    it('refuses a commit from an owner a newer load has fenced off, and keeps the newer state', async () => {
      const store = await make();
      const old = await store.loadPartition(3, () => Number.NEGATIVE_INFINITY);
      const current = await store.loadPartition(3, () => Number.NEGATIVE_INFINITY);
      expect(current.epoch).toBeGreaterThan(old.epoch);
      await store.commit({ epoch: current.epoch, partition: 3, offset: 10, progress: { maxEventTime: 1, committedAt: 1 }, partials: [partial('m', 0, '[]', 7)], retentionMs: retention });
      await expect(
        store.commit({ epoch: old.epoch, partition: 3, offset: 99, progress: { maxEventTime: 2, committedAt: 2 }, partials: [partial('m', 0, '[]', 8)], retentionMs: retention }),
      ).rejects.toBeInstanceOf(FencedError);
      const state = await store.loadPartition(3, () => Number.NEGATIVE_INFINITY);
      expect(state.offset).toBe(10);
      expect(state.partials.map((p) => p.bytes[2])).toEqual([7]);
    });

    it('writes thousands of cells of one pane in one commit, byte for byte, with any series key', async () => {
      const store = await make();
      const { epoch } = await store.loadPartition(12, () => Number.NEGATIVE_INFINITY);
      // Every byte value (0x00, 0xdb, 0xff…), keys with '/', quotes and non-ASCII labels,
      // and more cells than the Redis adapter's HSET chunk, interleaved across two panes.
      const cells = Array.from({ length: 2600 }, (_, i) => ({
        metric: 'm',
        resolutionMs: 1000,
        paneStart: i % 3 === 0 ? 2000 : 1000,
        seriesKey: JSON.stringify([`s/${i}`, i % 7 === 0 ? 'Zürich "∆" 🚀' : 'x']),
        bytes: Uint8Array.from({ length: 1 + (i % 300) }, (_, j) => (i + j * 31) & 255),
      }));
      await store.commit({ epoch, partition: 12, offset: 5, progress: { maxEventTime: 3000, committedAt: 1 }, partials: cells, retentionMs: retention });
      const loaded = (await store.loadPartition(12, () => Number.NEGATIVE_INFINITY)).partials;
      const byKey = (list: readonly StoredPartial[]) =>
        list.map((p) => `${p.paneStart} ${p.seriesKey} ${Buffer.from(p.bytes).toString('hex')}`).sort();
      expect(byKey(loaded)).toEqual(byKey(cells));
    });

    it('keeps named marks', async () => {
      const store = await make();
      await store.writeMark('history', 123_000);
      expect(await store.readMark('history')).toBe(123_000);
    });

    it('holds panes past their retention, never shortening one', async () => {
      // Long enough that the checks meant to fall inside it still hold when the test process stalls;
      // the Redis run waits it out in real time (Redis expires the keys).
      const RETENTION_MS = 1500;
      const store = await make();
      const { epoch } = await store.loadPartition(5, () => Number.NEGATIVE_INFINITY);
      const progress = { maxEventTime: 3000, committedAt: 1 };
      const partials = [partial('h', 1000, A, 1), partial('h', 2000, A, 2), partial('h', 3000, A, 3)];
      await store.commit({ epoch, partition: 5, offset: 1, progress, partials, retentionMs: (resolution) => (resolution === 1000 ? RETENTION_MS : 0) });
      await store.holdPanes('h', 1000, [1000], Date.now() + 10_000);
      // A later commit to the held pane (a late correction) keeps the hold.
      await store.commit({ epoch, partition: 5, offset: 2, progress, partials: [partial('h', 1000, A, 9)], retentionMs: (resolution) => (resolution === 1000 ? RETENTION_MS : 0) });
      // A hold shorter than what the pane has left does not cut it.
      await store.holdPanes('h', 1000, [2000], Date.now() + 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await store.readPanes('h', 1000, [2000])).size).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, RETENTION_MS + 100));
      expect([...(await store.readPanes('h', 1000, [1000, 2000, 3000])).values()].flat().map((p) => p.paneStart)).toEqual([1000]);
      // An expired pane is not brought back.
      await store.holdPanes('h', 1000, [3000], Date.now() + 10_000);
      expect((await store.readPanes('h', 1000, [3000])).size).toBe(0);
    });

    it('raises a mark only upwards, and refuses a commit changing a pane below its seal, writing nothing', async () => {
      const store = await make();
      const seal = 1_800_000_010_000;
      expect(await store.raiseMark('seal', seal)).toBe(seal);
      expect(await store.raiseMark('seal', seal - 5000)).toBe(seal);
      expect(await store.readMark('seal')).toBe(seal);
      // A claim sets a mark only once: the first value stays.
      expect(await store.claimMark('layout', 1000)).toBe(1000);
      expect(await store.claimMark('layout', 500)).toBe(1000);
      expect(await store.readMark('layout')).toBe(1000);
      const { epoch } = await store.loadPartition(4, () => Number.NEGATIVE_INFINITY);
      const commit = (offset: number, oldestPane: number) => ({
        epoch,
        partition: 4,
        offset,
        progress: { maxEventTime: oldestPane, committedAt: 1 },
        partials: [partial('m', oldestPane, A, offset)],
        retentionMs: retention,
        admissions: [admission([[A, oldestPane]])],
        seal: { mark: 'seal', oldestPane },
      });
      expect(await store.commit(commit(1, seal - 1000))).toEqual({ status: 'sealed', ledgers: [], seal });
      // Nothing of it stayed: offset, panes, nor the ledger's admission.
      expect((await store.loadPartition(4, () => Number.NEGATIVE_INFINITY)).offset).toBe(-1);
      expect(await store.readPanes('m', 1000, [seal - 1000])).toEqual(new Map());
      expect((await store.readLedger('m')).count).toBe(0);
      const { epoch: next } = await store.loadPartition(4, () => Number.NEGATIVE_INFINITY);
      // A commit that passes brings the seal along, so the committer's view of it stays fresh.
      expect(await store.commit({ ...commit(2, seal), epoch: next })).toMatchObject({ status: 'committed', seal });
      // A mark never raised seals nothing.
      expect(await store.commit({ ...commit(3, seal - 1000), epoch: next, seal: { mark: 'other', oldestPane: 0 } })).toMatchObject({ status: 'committed' });
    });
  });
  admissionContract(name, make);
}

/** An admission request of metric 'm' with cap 3; claims are [series key, newest pane start]. */
function admission(claims: Array<readonly [string, number]>, more: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { metric: 'm', cap: 3, horizon: Number.NEGATIVE_INFINITY, known: 0, refusedAt: undefined, claims, ...more };
}

function sortedView(view: LedgerView | undefined): LedgerView | undefined {
  return view === undefined ? undefined : { ...view, members: [...view.members].sort() };
}

const A = '["a"]';
const B = '["b"]';
const C = '["c"]';
const D = '["d"]';
const OTHER_KEY = '["__other__"]';

/** The admission ledger (window/admission.ts) as both stores keep it, inside the commit. */
function admissionContract(name: string, make: () => Promise<PaneStateStore>): void {
  describe(`${name} pane-state store: admission ledger`, () => {
    const progress = { maxEventTime: 9000, committedAt: 1 };

    it('admits at most the cap over partitions; a claim without a place writes nothing and reports the whole ledger', async () => {
      const store = await make();
      const zero = await store.loadPartition(0, () => Number.NEGATIVE_INFINITY);
      const one = await store.loadPartition(1, () => Number.NEGATIVE_INFINITY);
      const first = await store.commit({
        epoch: zero.epoch, partition: 0, offset: 5, progress, retentionMs: retention,
        partials: [partial('m', 1000, A, 1), partial('m', 1000, B, 2)],
        admissions: [admission([[A, 1000], [B, 1000]])],
      });
      expect(first.status).toBe('committed');
      expect(sortedView(first.ledgers[0])).toEqual({ metric: 'm', version: 1, count: 2, members: [A, B], complete: true });
      // Partition 1: a is a member already (its score rises), c takes the last place.
      const second = await store.commit({
        epoch: one.epoch, partition: 1, offset: 7, progress, retentionMs: retention,
        partials: [partial('m', 2000, A, 3), partial('m', 2000, C, 4)],
        admissions: [admission([[A, 2000], [C, 2000]], { known: 1 })],
      });
      expect(second).toEqual({ status: 'committed', ledgers: [{ metric: 'm', version: 2, count: 3, members: [C], complete: false }] });
      // d finds no place: nothing of the commit is written, and the reply is the whole ledger.
      const third = await store.commit({
        epoch: one.epoch, partition: 1, offset: 9, progress, retentionMs: retention,
        partials: [partial('m', 3000, D, 5)],
        admissions: [admission([[D, 3000]], { known: 2 })],
      });
      expect(third.status).toBe('conflict');
      expect(sortedView(third.ledgers[0])).toEqual({ metric: 'm', version: 2, count: 3, members: [A, B, C], complete: true });
      expect((await store.readPanes('m', 1000, [3000])).size).toBe(0);
      // The batch routed again: d's events in __other__, refused at version 2.
      const fourth = await store.commit({
        epoch: one.epoch, partition: 1, offset: 9, progress, retentionMs: retention,
        partials: [partial('m', 3000, OTHER_KEY, 5)],
        admissions: [admission([], { known: 2, refusedAt: 2 })],
      });
      expect(fourth).toEqual({ status: 'committed', ledgers: [{ metric: 'm', version: 2, count: 3, members: [], complete: false }] });
      expect(sortedView(await store.readLedger('m'))).toEqual({ metric: 'm', version: 2, count: 3, members: [A, B, C], complete: true });
      const keys = [...(await store.readPanes('m', 1000, [1000, 2000, 3000])).values()].flat().map((p) => p.seriesKey);
      expect(new Set(keys)).toEqual(new Set([A, B, C, OTHER_KEY]));
      expect((await store.loadPartition(1, () => Number.NEGATIVE_INFINITY)).offset).toBe(9);
    });

    it('refuses a commit whose refusals rest on an older ledger, listing the members added since', async () => {
      const store = await make();
      const zero = await store.loadPartition(0, () => Number.NEGATIVE_INFINITY);
      const one = await store.loadPartition(1, () => Number.NEGATIVE_INFINITY);
      await store.commit({ epoch: zero.epoch, partition: 0, offset: 1, progress, retentionMs: retention, partials: [partial('m', 1000, A, 1)], admissions: [admission([[A, 1000]])] });
      const refusedOnOld = { epoch: one.epoch, partition: 1, offset: 4, progress, retentionMs: retention, partials: [partial('m', 1000, OTHER_KEY, 2)] };
      const stale = await store.commit({ ...refusedOnOld, admissions: [admission([], { known: 0, refusedAt: 0 })] });
      expect(stale).toEqual({ status: 'stale', ledgers: [{ metric: 'm', version: 1, count: 1, members: [A], complete: true }] });
      expect((await store.readPanes('m', 1000, [1000])).get(1)).toBeUndefined();
      const settled = await store.commit({ ...refusedOnOld, admissions: [admission([], { known: 1, refusedAt: 1 })] });
      expect(settled.status).toBe('committed');
      expect((await store.readPanes('m', 1000, [1000])).get(1)?.map((p) => p.seriesKey)).toEqual([OTHER_KEY]);
    });

    it('frees the places of members last written before the horizon, and keeps refreshed ones', async () => {
      const store = await make();
      const zero = await store.loadPartition(0, () => Number.NEGATIVE_INFINITY);
      const commit = (offset: number, claims: Array<readonly [string, number]>, more: Partial<AdmissionRequest> = {}) =>
        store.commit({ epoch: zero.epoch, partition: 0, offset, progress, retentionMs: retention, partials: [], admissions: [admission(claims, more)] });
      await commit(1, [[A, 1000], [B, 1000], [C, 1000]]);
      expect((await commit(2, [[D, 9000]], { known: 1 })).status).toBe('conflict');
      // a is written again at 6000: its score rises past the horizon; b and c leave.
      await commit(3, [[A, 6000]], { known: 1 });
      const freed = await commit(4, [[D, 9000]], { known: 1, horizon: 5000 });
      expect(freed.status).toBe('committed');
      // One version for the expiry, one for d's admission.
      expect(sortedView(freed.ledgers[0])).toEqual({ metric: 'm', version: 3, count: 2, members: [D], complete: false });
      expect(sortedView(await store.readLedger('m'))).toEqual({ metric: 'm', version: 3, count: 2, members: [A, D], complete: true });
    });

    it('keeps exactly the cap of tuples fed by processors on two partitions; the rest is in __other__, counts and sums exact', async () => {
      const store = await make();
      const processors = [cappedProcessor(store), cappedProcessor(store)];
      const all = purchases(0, 300, 7);
      // Side by side, each on its own partition: the later commit finds the places taken and routes its batch again.
      await Promise.all(
        processors.map((processor, partition) =>
          processor.onBatch({ partition, records: recordsOf(partition, 0, all.filter((_, i) => i % 2 === partition)) }),
        ),
      );
      const totals = await storedTotals(store, paneStartsOf(all));
      const admitted = new Set([...totals.keys()].filter((user) => user !== OTHER));
      expect(admitted.size).toBe(CAP);
      expect(totals).toEqual(expectedTotals(all, admitted));
      expect(overflowEvents(processors)).toBe(totals.get(OTHER)?.count);
      expect((await store.readLedger('spend')).count).toBe(CAP);
    });

    it('gives the same state when a commit is applied again, as a replay after a crash would', async () => {
      const store = await make();
      const zero = await store.loadPartition(0, () => Number.NEGATIVE_INFINITY);
      const commit = { epoch: zero.epoch, partition: 0, offset: 3, progress, retentionMs: retention, partials: [partial('m', 1000, A, 1), partial('m', 1000, B, 2)], admissions: [admission([[A, 1000], [B, 1000]])] };
      await store.commit(commit);
      const state = async () => ({
        ledger: sortedView(await store.readLedger('m')),
        cells: [...(await store.readPanes('m', 1000, [1000])).values()].flat().map((p) => `${p.seriesKey} ${p.bytes[2]}`).sort(),
        progress: (await store.readProgress()).get(0),
      });
      const once = await state();
      expect(await store.commit(commit)).toMatchObject({ status: 'committed', ledgers: [{ version: 1, count: 2 }] });
      expect(await state()).toEqual(once);
      expect(once.ledger).toMatchObject({ version: 1, count: 2 });
    });
  });
}
