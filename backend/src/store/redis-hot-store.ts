/** Redis adapter of the hot store of composed values. */
import type Redis from 'ioredis';
import { finalsBySeries, seriesKey, type HotStore } from './hot-store';
import type { WindowResults } from './window-sink';

export class RedisHotStore implements HotStore {
  readonly name = 'hot-store';
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    private readonly retentionMs: number,
  ) {}

  async write(batch: WindowResults): Promise<void> {
    const series = finalsBySeries(this.namespace, batch);
    if (series.size === 0) {
      return;
    }
    const multi = this.redis.multi();
    for (const [key, entries] of series) {
      multi.hset(key, ...entries.flatMap(([start, value]) => [String(start), String(value)]));
      multi.pexpire(key, this.retentionMs);
    }
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error !== null);
    if (replies === null || failed !== undefined) {
      throw new Error(`redis: hot-store write failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
    }
  }

  async read(metric: string, aggregate: string, window: string, group: Record<string, string>, windowStart: number): Promise<number | undefined> {
    const value = await this.redis.hget(seriesKey(this.namespace, metric, aggregate, window, group), String(windowStart));
    return value === null ? undefined : Number(value);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    // The connection is shared; its owner closes it.
  }
}
