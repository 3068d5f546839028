import { hotStoreContract } from '../../test/hot-store-contract';
import { MemoryHotStore } from './memory-hot-store';

hotStoreContract('memory', async () => {
  let leader: string | undefined;
  return {
    store: new MemoryHotStore('contract', 60_000, (writer) => writer === leader),
    lead: async (writer) => {
      leader = writer;
    },
  };
});

it('forgets a series once its retention has passed since its last write', async () => {
  let now = 10_000;
  const store = new MemoryHotStore('ttl', 5000, () => true, () => now);
  const results = [{ group: {}, window: { start: 1000, end: 2000 }, value: 4, final: true, correction: false }];
  await store.write({ metric: 'm', aggregate: 'count', sizeMs: 1000, slideMs: 1000, results }, 'a');
  now += 4999;
  expect(await store.read('m', 'count', '1s', {}, 1000)).toBe(4);
  now += 1;
  expect(await store.read('m', 'count', '1s', {}, 1000)).toBeUndefined();
});
