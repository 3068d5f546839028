import Redis from 'ioredis';
import { RedisPaneState } from '../../src/store/redis-pane-state';
import { paneStateContract } from '../pane-state-contract';
import { REDIS_URL } from './services-env';

const clients: Redis[] = [];

afterAll(() => {
  for (const client of clients) {
    client.disconnect();
  }
});

paneStateContract('redis', async () => {
  const redis = new Redis(REDIS_URL);
  clients.push(redis);
  return new RedisPaneState(redis, `contract-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`);
});
