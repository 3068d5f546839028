/**
 * The behaviour every dedup store must have, run against the memory twin
 * (unit tests) and Redis (services tests), so the twin cannot drift.
 */
import type { DedupEntry } from '../src/process/batch-dedup';
import type { DedupStore } from '../src/store/dedup-store';

const entry = (batch: string, attempt: string, at: number, offset: number): DedupEntry => ({ batch, attempt, at, offset });
const sorted = (entries: DedupEntry[]) => [...entries].sort((a, b) => a.offset - b.offset);

export function dedupStoreContract(name: string, make: () => Promise<DedupStore>): void {
  describe(`${name} dedup store`, () => {
    it('starts empty and loads back what was recorded, per partition', async () => {
      const store = await make();
      expect(await store.load(0)).toEqual([]);
      await store.record(0, [entry('b1', 'a1', 1000, 0), entry('b2', 'a9', 1500, 4)], Number.NEGATIVE_INFINITY);
      await store.record(1, [entry('b1', 'a2', 1000, 7)], Number.NEGATIVE_INFINITY);
      expect(sorted(await store.load(0))).toEqual([entry('b1', 'a1', 1000, 0), entry('b2', 'a9', 1500, 4)]);
      expect(await store.load(1)).toEqual([entry('b1', 'a2', 1000, 7)]);
    });

    it('keeps an entry recorded twice once, with its first score', async () => {
      const store = await make();
      await store.record(2, [entry('b1', 'a1', 1000, 3)], Number.NEGATIVE_INFINITY);
      await store.record(2, [entry('b1', 'a1', 1000, 3)], Number.NEGATIVE_INFINITY);
      expect(await store.load(2)).toEqual([entry('b1', 'a1', 1000, 3)]);
    });

    it('forgets entries older than the horizon it is given', async () => {
      const store = await make();
      await store.record(3, [entry('old', 'a', 100, 0), entry('edge', 'a', 500, 1)], Number.NEGATIVE_INFINITY);
      await store.record(3, [entry('new', 'a', 900, 2)], 500);
      expect(sorted(await store.load(3)).map((e) => e.batch)).toEqual(['edge', 'new']);
    });

    it('records thousands of entries in one call', async () => {
      const store = await make();
      const many = Array.from({ length: 2500 }, (_, i) => entry(`b${i}`, 'a', 10_000 + i, i));
      await store.record(4, many, Number.NEGATIVE_INFINITY);
      expect((await store.load(4)).length).toBe(2500);
    });
  });
}
