/** The Redis live bus's cap on distinct queries per tenant, held to the contract its memory twin meets. */
import Redis from 'ioredis';
import type { LiveBus } from '../../src/live/live-bus';
import { RedisLiveBus } from '../../src/live/redis-live-bus';
import { CONTRACT_QUERY_LEASE_MS, tenantQueriesContract } from '../tenant-queries-contract';
import { REDIS_URL } from './services-env';

const redis = new Redis(REDIS_URL);
const buses: LiveBus[] = [];

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  redis.disconnect();
});

function namespace(): string {
  return `tenant-queries-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

function busOn(ns: string, leaseMs = CONTRACT_QUERY_LEASE_MS): RedisLiveBus {
  const bus = new RedisLiveBus(redis, ns, { replayFrames: 8, queryLeaseMs: leaseMs });
  buses.push(bus);
  return bus;
}

tenantQueriesContract('redis', async () => {
  const ns = namespace();
  // Two gateways: two buses (each with its own subscriber connection) on one registry.
  return { bus: busOn(ns), other: busOn(ns), elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
});

describe('redis tenant query sets', () => {
  it('keeps one set per tenant beside the registry, collected by a TTL once nothing renews it', async () => {
    const ns = namespace();
    const bus = busOn(ns, 5000);
    const query = { key: 'k1', query: { metric: 'acme__events', aggregate: 'count', window: { sizeMs: 1000 } }, tenant: 'acme' };
    expect(await bus.admit(query, 10)).toBe(true);
    await bus.register([query, { ...query, key: 'k2', tenant: 'globex' }, { ...query, key: 'k3' }]);
    expect((await redis.keys(`panecast:${ns}:live:tenant:*`)).sort()).toEqual([`panecast:${ns}:live:tenant:acme:queries`, `panecast:${ns}:live:tenant:globex:queries`]);
    expect(await redis.zrange(`panecast:${ns}:live:tenant:acme:queries`, '0', '-1')).toEqual(['k1', 'k3']);
    const ttl = await redis.pttl(`panecast:${ns}:live:tenant:acme:queries`);
    expect(ttl).toBeGreaterThan(5000);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });
});
