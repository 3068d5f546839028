/** Redis adapter of the hot store (ioredis). The only file that imports ioredis for panes. */
import Redis from 'ioredis';
import { bySeries, seriesKey, type HotStore } from './hot-store';
import type { WindowResults } from './window-sink';

export class RedisHotStore implements HotStore {
  readonly name = 'hot-store';
  private readonly redis: Redis;

  constructor(url: string, private readonly retentionMs: number) {
    // Auto-pipelining batches the commands issued in one tick into one round trip.
    this.redis = new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 3, lazyConnect: false });
    this.redis.on('error', (error: Error) => console.warn(`redis: ${error.message}`));
  }

  async write(batch: WindowResults): Promise<void> {
    const multi = this.redis.multi();
    for (const [key, entries] of bySeries(batch)) {
      multi.hset(key, ...entries.flatMap(([start, value]) => [String(start), String(value)]));
      multi.pexpire(key, this.retentionMs);
    }
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error !== null);
    if (replies === null || failed !== undefined) {
      throw new Error(`redis: hot-store write failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
    }
  }

  async read(metric: string, aggregate: string, sizeMs: number, dimension: string, key: string, windowStart: number): Promise<number | undefined> {
    const value = await this.redis.hget(seriesKey(metric, aggregate, sizeMs, dimension, key), String(windowStart));
    return value === null ? undefined : Number(value);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
