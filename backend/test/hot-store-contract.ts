/**
 * The behaviour every hot store must have, run against the memory twin (unit
 * tests) and Redis (services tests), so the twin cannot drift.
 */
import { LeaseLostError, type HotStore } from '../src/store/hot-store';
import type { WindowResults, WindowValue } from '../src/store/window-sink';

export interface HotStoreUnderTest {
  store: HotStore;
  /** Hands the composer leadership lease to `writer` (undefined: nobody holds it). */
  lead(writer: string | undefined): Promise<void>;
}

const value = (start: number, v: number, final: boolean, group: Record<string, string> = { region: 'eu' }): WindowValue => ({
  group,
  window: { start, end: start + 1000 },
  value: v,
  final,
  correction: false,
});

const batch = (results: WindowValue[]): WindowResults => ({ metric: 'clicks', aggregate: 'count', sizeMs: 1000, slideMs: 1000, results });

export function hotStoreContract(name: string, make: () => Promise<HotStoreUnderTest>): void {
  describe(`${name} hot store`, () => {
    it('keeps the final values of a batch by series and window start, and no in-progress value', async () => {
      const { store, lead } = await make();
      await lead('a');
      await store.write(batch([value(1000, 5, true), value(2000, 7, false), value(1000, 9, true, { region: 'us' })]), 'a');
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 1000)).toBe(5);
      expect(await store.read('clicks', 'count', '1s', { region: 'us' }, 1000)).toBe(9);
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 2000)).toBeUndefined();
      expect(await store.read('clicks', 'sum', '1s', { region: 'eu' }, 1000)).toBeUndefined();
    });

    it('takes a correction over the final it replaces, and a repeated write changes nothing', async () => {
      const { store, lead } = await make();
      await lead('a');
      await store.write(batch([value(1000, 5, true)]), 'a');
      await store.write(batch([value(1000, 6, true)]), 'a');
      await store.write(batch([value(1000, 6, true)]), 'a');
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 1000)).toBe(6);
    });

    it('keeps apart two groups whose values hold the separators of the key', async () => {
      const { store, lead } = await make();
      await lead('a');
      // Joined naively both read "mode=x,region=y,region=": one would overwrite the other.
      const first = { mode: 'x,region=y', region: '' };
      const second = { mode: 'x', region: 'y,region=' };
      await store.write(batch([value(1000, 1, true, first), value(1000, 2, true, second), value(1000, 3, true, { mode: '%2C', region: '' })]), 'a');
      expect(await store.read('clicks', 'count', '1s', first, 1000)).toBe(1);
      expect(await store.read('clicks', 'count', '1s', second, 1000)).toBe(2);
      expect(await store.read('clicks', 'count', '1s', { mode: ',', region: '' }, 1000)).toBeUndefined();
      expect(await store.read('clicks', 'count', '1s', { mode: '%2C', region: '' }, 1000)).toBe(3);
    });

    it('refuses, writing nothing, a composer that lost the lease to a successor', async () => {
      const { store, lead } = await make();
      await lead('old');
      await store.write(batch([value(1000, 5, true)]), 'old');
      await lead('new');
      await store.write(batch([value(1000, 8, true)]), 'new');
      // The old leader stalled between its publish and this write: its value is older than the successor's.
      await expect(store.write(batch([value(1000, 5, true), value(2000, 3, true)]), 'old')).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 1000)).toBe(8);
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 2000)).toBeUndefined();
      await lead(undefined);
      await expect(store.write(batch([value(3000, 1, true)]), 'new')).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 3000)).toBeUndefined();
    });

    it('writes a batch of thousands of series whole', async () => {
      const { store, lead } = await make();
      await lead('a');
      const results = Array.from({ length: 1500 }, (_, i) => value(1000 * (1 + (i % 3)), i, true, { host: `h${i}` }));
      await store.write(batch(results), 'a');
      expect(await store.read('clicks', 'count', '1s', { host: 'h0' }, 1000)).toBe(0);
      expect(await store.read('clicks', 'count', '1s', { host: 'h1499' }, 3000)).toBe(1499);
      expect(await store.read('clicks', 'count', '1s', { host: 'h763' }, 2000)).toBe(763);
    });

    it('writes thousands of windows of one series whole', async () => {
      const { store, lead } = await make();
      await lead('a');
      await store.write(batch(Array.from({ length: 9000 }, (_, i) => value(1000 * i, i, true))), 'a');
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 0)).toBe(0);
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 4_321_000)).toBe(4321);
      expect(await store.read('clicks', 'count', '1s', { region: 'eu' }, 8_999_000)).toBe(8999);
    });
  });
}
