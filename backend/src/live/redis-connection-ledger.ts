/**
 * Redis adapter of the connection ledger (connection-ledger.ts). Layout under
 * `panecast:<namespace>:live` (the live bus's prefix; namespace = consumer group):
 *   :conn:{<id>}   zset   member `<gateway boot id>/<seq>` → lease expiry (epoch ms)
 * `<id>` is a hash of the token's connection key (which holds the tenant and
 * the token id or subject: arbitrary text, so it is not put in key names);
 * the braces keep a token's key in one slot should the deployment move to
 * Redis Cluster. The key's own TTL is the lease, refreshed with every acquire
 * and renewal, so a token whose gateways all died leaves nothing behind.
 *
 * Every script reads the time from Redis (TIME), not from the gateway: the
 * leases of all gateways are compared on one clock, so a gateway whose clock
 * runs ahead cannot expire the others' slots early, nor one that runs behind
 * keep its own alive past the lease.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { ConnectionLedger } from './connection-ledger';

/**
 * Redis' clock in epoch ms. Scripts are replicated by their effects (Redis ≥ 5), so TIME is allowed
 * before writes. Epoch ms have 13 digits: exact through Lua's number-to-string conversion (%.14g).
 */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: slots. ARGV: member, limit, lease ms. Drops expired slots, counts, adds if under the limit. */
const ACQUIRE_SCRIPT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

/**
 * KEYS: slots. ARGV: lease ms, then members. Plain ZADD, not XX: a slot that lapsed (or that a
 * Redis restart lost) is counted again, since its connection is open (connection-ledger.ts).
 * Returns how many were counted again.
 */
const RENEW_SCRIPT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[1])
local recounted = 0
for i = 2, #ARGV do
  recounted = recounted + redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease)
return recounted
`;

/** KEYS: slots. Live slots only: expired ones may linger until the next acquire or renewal. */
const COUNT_SCRIPT = `${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`;

/** Keys per pipeline when renewing: bounded replies, all pipelines sent at once. */
const RENEW_CHUNK = 500;

/** The scripts as ioredis commands: sent by SHA once loaded, and usable in pipelines. */
interface LedgerCommands {
  panecastLedgerAcquire(key: string, member: string, limit: string, leaseMs: string): Promise<number>;
  panecastLedgerCount(key: string): Promise<number>;
}
interface LedgerPipeline extends ChainableCommander {
  panecastLedgerRenew(key: string, leaseMs: string, ...members: string[]): LedgerPipeline;
}

export class RedisConnectionLedger implements ConnectionLedger {
  private readonly prefix: string;
  private readonly commands: LedgerCommands;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    readonly leaseMs: number,
  ) {
    if (!(leaseMs > 0) || !Number.isInteger(leaseMs)) {
      throw new RangeError(`leaseMs must be a positive integer, got ${leaseMs}`);
    }
    this.prefix = `panecast:${namespace}:live:conn`;
    // Defining the same command again (a second ledger on one client) replaces it with the same script.
    redis.defineCommand('panecastLedgerAcquire', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
    redis.defineCommand('panecastLedgerRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    redis.defineCommand('panecastLedgerCount', { numberOfKeys: 1, lua: COUNT_SCRIPT });
    this.commands = redis as unknown as LedgerCommands;
  }

  private keyOf(key: string): string {
    return `${this.prefix}:{${createHash('sha1').update(key).digest('hex').slice(0, 20)}}`;
  }

  async acquire(key: string, member: string, limit: number): Promise<boolean> {
    return (await this.commands.panecastLedgerAcquire(this.keyOf(key), member, String(limit), String(this.leaseMs))) === 1;
  }

  async release(key: string, member: string): Promise<void> {
    await this.redis.zrem(this.keyOf(key), member);
  }

  async renew(held: ReadonlyMap<string, readonly string[]>): Promise<number> {
    const entries = [...held].filter(([, members]) => members.length > 0);
    // The chunks go out together, not one round trip after another: on a saturated gateway each
    // reply waits a whole turn of its event loop, and 40 turns in a row outlasted the lease.
    const chunks: Promise<number>[] = [];
    for (let i = 0; i < entries.length; i += RENEW_CHUNK) {
      if (i > 0) {
        // A chunk's commands cost the gateway ~5 ms of CPU: let frames out between chunks.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const pipeline = this.redis.pipeline() as LedgerPipeline;
      for (const [key, members] of entries.slice(i, i + RENEW_CHUNK)) {
        pipeline.panecastLedgerRenew(this.keyOf(key), String(this.leaseMs), ...members);
      }
      chunks.push(pipeline.exec().then((results) => {
        let recounted = 0;
        for (const [error, value] of results ?? []) {
          if (error !== null) {
            throw error;
          }
          recounted += Number(value);
        }
        return recounted;
      }));
    }
    return (await Promise.all(chunks)).reduce((sum, n) => sum + n, 0);
  }

  async count(key: string): Promise<number> {
    return Number(await this.commands.panecastLedgerCount(this.keyOf(key)));
  }
}
