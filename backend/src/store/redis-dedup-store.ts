/** Redis adapter of the dedup-store port (layout in dedup-store.ts). */
import type Redis from 'ioredis';
import type { DedupEntry } from '../process/batch-dedup';
import { decodeDedupMember, DEDUP_IDLE_EXPIRY_MS, encodeDedupMember, type DedupStore } from './dedup-store';

/** ZADD in chunks: one command with hundreds of thousands of members would stall Redis. */
const CHUNK = 1000;

export class RedisDedupStore implements DedupStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    this.prefix = `panecast:${namespace}:dedup`;
  }

  async load(partition: number): Promise<DedupEntry[]> {
    const flat = await this.redis.zrange(`${this.prefix}:${partition}`, '0', '-1', 'WITHSCORES');
    const entries: DedupEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const entry = decodeDedupMember(flat[i] as string, Number(flat[i + 1]));
      if (entry !== undefined) {
        entries.push(entry);
      }
    }
    return entries;
  }

  async record(partition: number, entries: readonly DedupEntry[], horizon: number): Promise<void> {
    const key = `${this.prefix}:${partition}`;
    const pipeline = this.redis.multi();
    for (let start = 0; start < entries.length; start += CHUNK) {
      const args: Array<string | number> = [];
      for (const entry of entries.slice(start, start + CHUNK)) {
        args.push(entry.at, encodeDedupMember(entry));
      }
      // NX: a member already stored keeps its score (the same entry, derived again).
      pipeline.zadd(key, 'NX', ...args);
    }
    if (Number.isFinite(horizon)) {
      pipeline.zremrangebyscore(key, '-inf', `(${horizon}`);
    }
    pipeline.pexpire(key, DEDUP_IDLE_EXPIRY_MS);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (results === null || failed !== undefined) {
      throw failed?.[0] ?? new Error('redis dedup store: the transaction was discarded');
    }
  }
}
