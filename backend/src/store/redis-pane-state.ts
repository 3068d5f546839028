/** Redis adapter of the pane-state port (layout in pane-state.ts). */
import type Redis from 'ioredis';
import type { StoredPartial } from '../window';
import {
  byPane,
  decodeProgress,
  encodeProgress,
  paneSuffix,
  partialField,
  parsePartialField,
  type PaneStateStore,
  type PartitionCommit,
  type PartitionProgress,
  type PartitionState,
} from './pane-state';

export class RedisPaneState implements PaneStateStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    this.prefix = `panecast:${namespace}`;
  }

  async loadPartition(partition: number, sinceOf: (progress: PartitionProgress) => number): Promise<PartitionState> {
    const [offset, storedProgress] = await Promise.all([
      this.redis.hget(`${this.prefix}:offsets`, String(partition)),
      this.redis.hget(`${this.prefix}:progress`, String(partition)),
    ]);
    const progress = decodeProgress(storedProgress);
    const since = sinceOf(progress);
    const suffixes = await this.redis.zrangebyscore(`${this.prefix}:index:${partition}`, Number.isFinite(since) ? since : '-inf', '+inf');
    const hashes = await Promise.all(suffixes.map((suffix) => this.redis.hgetallBuffer(`${this.prefix}:pane:${suffix}`)));
    const partials: StoredPartial[] = [];
    suffixes.forEach((suffix, i) => {
      const [metric, resolution, start] = suffix.split(':');
      for (const [field, bytes] of Object.entries(hashes[i] ?? {})) {
        const parsed = parsePartialField(field);
        if (parsed?.partition === partition) {
          partials.push({ metric: metric as string, resolutionMs: Number(resolution), paneStart: Number(start), seriesKey: parsed.seriesKey, bytes });
        }
      }
    });
    return { offset: offset === null ? -1 : Number(offset), progress, partials };
  }

  async commit(commit: PartitionCommit): Promise<void> {
    const multi = this.redis.multi();
    const index = `${this.prefix}:index:${commit.partition}`;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [suffix, { partial, items }] of byPane(commit.partials)) {
      const key = `${this.prefix}:pane:${suffix}`;
      const fields: Array<string | Buffer> = [];
      for (const item of items) {
        fields.push(partialField(commit.partition, item.seriesKey), Buffer.from(item.bytes.buffer, item.bytes.byteOffset, item.bytes.byteLength));
      }
      multi.hset(key, ...fields);
      const retention = commit.retentionMs(partial.resolutionMs);
      multi.pexpire(key, retention);
      multi.zadd(index, partial.paneStart, suffix);
      oldest = Math.min(oldest, partial.paneStart - retention);
    }
    if (Number.isFinite(oldest)) {
      // Keep the index as short as the panes it points to.
      multi.zremrangebyscore(index, '-inf', `(${oldest}`);
    }
    multi.hset(`${this.prefix}:offsets`, String(commit.partition), String(commit.offset));
    multi.hset(`${this.prefix}:progress`, String(commit.partition), encodeProgress(commit.progress));
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error !== null);
    if (replies === null || failed !== undefined) {
      throw new Error(`redis: commit of partition ${commit.partition} failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
    }
  }

  async readPanes(metric: string, resolutionMs: number, paneStarts: readonly number[]): Promise<Map<number, StoredPartial[]>> {
    const hashes = await Promise.all(paneStarts.map((start) => this.redis.hgetallBuffer(`${this.prefix}:pane:${paneSuffix(metric, resolutionMs, start)}`)));
    const result = new Map<number, StoredPartial[]>();
    hashes.forEach((hash, i) => {
      for (const [field, bytes] of Object.entries(hash)) {
        const parsed = parsePartialField(field);
        if (parsed === undefined) {
          continue;
        }
        let list = result.get(parsed.partition);
        if (list === undefined) {
          list = [];
          result.set(parsed.partition, list);
        }
        list.push({ metric, resolutionMs, paneStart: paneStarts[i] as number, seriesKey: parsed.seriesKey, bytes });
      }
    });
    return result;
  }

  async readMark(name: string): Promise<number | undefined> {
    const value = await this.redis.hget(`${this.prefix}:marks`, name);
    return value === null ? undefined : Number(value);
  }

  async writeMark(name: string, value: number): Promise<void> {
    await this.redis.hset(`${this.prefix}:marks`, name, String(value));
  }

  async readProgress(): Promise<Map<number, PartitionProgress>> {
    const all = await this.redis.hgetall(`${this.prefix}:progress`);
    return new Map(Object.entries(all).map(([partition, text]) => [Number(partition), decodeProgress(text)]));
  }
}
