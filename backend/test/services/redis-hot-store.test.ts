import Redis from 'ioredis';
import { leaderKey } from '../../src/live/redis-live-bus';
import { seriesKey } from '../../src/store/hot-store';
import { RedisHotStore } from '../../src/store/redis-hot-store';
import { hotStoreContract } from '../hot-store-contract';
import { REDIS_URL } from './services-env';

const clients: Redis[] = [];

afterAll(() => {
  for (const client of clients) {
    client.disconnect();
  }
});

function namespaced(): { redis: Redis; namespace: string } {
  const redis = new Redis(REDIS_URL);
  clients.push(redis);
  return { redis, namespace: `contract-hot-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}` };
}

hotStoreContract('redis', async () => {
  const { redis, namespace } = namespaced();
  return {
    // The same leader key the live bus's lead() takes: the composer's lease fences these writes.
    store: new RedisHotStore(redis, namespace, 60_000, leaderKey(namespace)),
    lead: async (writer) => {
      if (writer === undefined) {
        await redis.del(leaderKey(namespace));
      } else {
        await redis.set(leaderKey(namespace), writer, 'PX', 60_000);
      }
    },
  };
});

it('gives each written series the retention as its expiry', async () => {
  const { redis, namespace } = namespaced();
  await redis.set(leaderKey(namespace), 'a', 'PX', 60_000);
  const results = [{ group: { region: 'eu' }, window: { start: 1000, end: 2000 }, value: 4, final: true, correction: false }];
  await new RedisHotStore(redis, namespace, 7_200_000, leaderKey(namespace)).write({ metric: 'm', aggregate: 'count', sizeMs: 1000, slideMs: 1000, results }, 'a');
  const ttl = await redis.pttl(seriesKey(namespace, 'm', 'count', '1s', { region: 'eu' }));
  expect(ttl).toBeGreaterThan(7_100_000);
  expect(ttl).toBeLessThanOrEqual(7_200_000);
});
