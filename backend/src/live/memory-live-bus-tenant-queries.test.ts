import { CONTRACT_QUERY_LEASE_MS, tenantQueriesContract } from '../../test/tenant-queries-contract';
import { MemoryLiveBus } from './memory-live-bus';

tenantQueriesContract('memory', async () => {
  let now = 1_700_000_000_000;
  const bus = new MemoryLiveBus({ replayFrames: 8, queryLeaseMs: CONTRACT_QUERY_LEASE_MS }, () => now);
  return {
    bus,
    other: bus,
    elapse: async (ms) => {
      now += ms;
    },
  };
});

it('ends a query lease exactly at its expiry, as the Redis bus does', async () => {
  let now = 0;
  const bus = new MemoryLiveBus({ replayFrames: 8, queryLeaseMs: 1000 }, () => now);
  const query = (key: string) => ({ key, query: { metric: 'events', aggregate: 'count' as const, window: { sizeMs: 1000 } }, tenant: 'acme' });
  expect(await bus.admit(query('a'), 1)).toBe(true);
  now = 999;
  expect(await bus.admit(query('b'), 1)).toBe(false);
  now = 1000;
  expect(await bus.admit(query('b'), 1)).toBe(true);
});
