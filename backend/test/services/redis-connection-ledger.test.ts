import Redis from 'ioredis';
import { RedisConnectionLedger } from '../../src/live/redis-connection-ledger';
import { connectionLedgerContract, CONTRACT_LEASE_MS } from '../connection-ledger-contract';
import { REDIS_URL } from './services-env';

const clients: Redis[] = [];

afterAll(() => {
  for (const client of clients) {
    client.disconnect();
  }
});

function namespace(): string {
  return `ledger-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

connectionLedgerContract('redis', async () => {
  const redis = new Redis(REDIS_URL);
  clients.push(redis);
  return {
    ledger: new RedisConnectionLedger(redis, namespace(), CONTRACT_LEASE_MS),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
});

describe('redis connection ledger layout', () => {
  it('keeps a key under the namespace, named by a hash of the token key, with the lease as its TTL', async () => {
    const redis = new Redis(REDIS_URL);
    clients.push(redis);
    const ns = namespace();
    const ledger = new RedisConnectionLedger(redis, ns, 5000);
    expect(await ledger.acquire('jti\u0000acme\u0000secret-token-id', 'gw/1', 3)).toBe(true);
    const keys = await redis.keys(`panecast:${ns}:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^panecast:${ns}:live:conn:\\{[0-9a-f]{20}\\}$`));
    const ttl = await redis.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(4000);
    expect(ttl).toBeLessThanOrEqual(5000);
    await ledger.release('jti\u0000acme\u0000secret-token-id', 'gw/1');
    // The last slot gone, the key is gone.
    expect(await redis.keys(`panecast:${ns}:*`)).toEqual([]);
  });

  it('renews thousands of keys in chunked pipelines', async () => {
    const redis = new Redis(REDIS_URL);
    clients.push(redis);
    const ledger = new RedisConnectionLedger(redis, namespace(), 60_000);
    const held = new Map<string, string[]>();
    for (let i = 0; i < 1200; i++) {
      held.set(`sub\u0000default\u0000viewer-${i}`, [`gw/${i}`]);
    }
    // Never acquired: every slot is counted by the renewal itself.
    expect(await ledger.renew(held)).toBe(1200);
    expect(await ledger.renew(held)).toBe(0);
    expect(await ledger.count('sub\u0000default\u0000viewer-1199')).toBe(1);
  });
});
