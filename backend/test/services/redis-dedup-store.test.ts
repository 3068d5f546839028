import Redis from 'ioredis';
import { RedisDedupStore } from '../../src/store/redis-dedup-store';
import { dedupStoreContract } from '../dedup-store-contract';
import { REDIS_URL } from './services-env';

const clients: Redis[] = [];

afterAll(() => {
  for (const client of clients) {
    client.disconnect();
  }
});

dedupStoreContract('redis', async () => {
  const redis = new Redis(REDIS_URL);
  clients.push(redis);
  return new RedisDedupStore(redis, `contract-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`);
});

it('expires a silent partition key', async () => {
  const redis = new Redis(REDIS_URL);
  clients.push(redis);
  const namespace = `contract-ttl-${Date.now().toString(36)}`;
  await new RedisDedupStore(redis, namespace).record(0, [{ batch: 'b', attempt: 'a', at: 1, offset: 0 }], Number.NEGATIVE_INFINITY);
  const ttl = await redis.pttl(`panecast:${namespace}:dedup:0`);
  expect(ttl).toBeGreaterThan(6 * 24 * 3600_000);
});
