/**
 * The behaviour every pane-state store must have, run against the memory
 * twin (unit tests) and Redis (services tests), so the twin cannot drift.
 */
import { FencedError, type PaneStateStore } from '../src/store/pane-state';
import type { StoredPartial } from '../src/window';

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
  });
}
