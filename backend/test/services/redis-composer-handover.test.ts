/**
 * A composer handover over the real Redis live bus: two buses on one namespace, as two backend
 * processes have, so the leadership lease and its fence are Redis's (scenario: composer-handover-contract.ts).
 */
import Redis from 'ioredis';
import { RedisLiveBus } from '../../src/live/redis-live-bus';
import { composerHandoverContract, HANDOVER_BUS_OPTIONS } from '../composer-handover-contract';
import { REDIS_URL } from './services-env';

const connections: Redis[] = [];
const buses: RedisLiveBus[] = [];
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  connections.forEach((redis) => redis.disconnect());
});

composerHandoverContract('redis', async () => {
  const namespace = `handover-test-${Date.now().toString(36)}-${process.pid}`;
  // The test's clock stands still between its steps: the query registry's leases follow it, not the wall clock.
  const clock = () => 1_800_000_000_000;
  const [first, second] = [0, 1].map(() => {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    const bus = new RedisLiveBus(redis, namespace, HANDOVER_BUS_OPTIONS, clock);
    buses.push(bus);
    return bus;
  }) as [RedisLiveBus, RedisLiveBus];
  return { first, second };
});
