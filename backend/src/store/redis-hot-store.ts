/** Redis adapter of the hot store of composed values. */
import type Redis from 'ioredis';
import { finalsBySeries, LeaseLostError, seriesKey, type HotStore } from './hot-store';
import type { WindowResults } from './window-sink';

/**
 * KEYS: the composer's leader key, then one hash per series. ARGV: writer, retention ms, then per
 * series the number of its fields followed by field, value pairs. Writes nothing unless `writer`
 * holds the leader lease: the check and the writes are one script, so a composer that stalled
 * past its lease between its publish and this write cannot overwrite its successor's values.
 */
const WRITE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('PANECAST_NOT_LEADER')
end
local at = 3
for k = 2, #KEYS do
  local last = at + tonumber(ARGV[at]) * 2
  -- 500 fields per HSET: unpack has a limit on how many values it returns.
  for from = at + 1, last, 1000 do
    redis.call('HSET', KEYS[k], unpack(ARGV, from, math.min(from + 999, last)))
  end
  redis.call('PEXPIRE', KEYS[k], ARGV[2])
  at = last + 1
end
return #KEYS - 1
`;

/** Series per script call: keeps each call's argument list well under Lua's unpack limit. */
const SERIES_PER_CALL = 500;

export class RedisHotStore implements HotStore {
  readonly name = 'hot-store';
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    private readonly retentionMs: number,
    /** The live bus's leader key (redis-live-bus.ts leaderKey): the lease that fences writers. */
    private readonly leaderKey: string,
  ) {}

  async write(batch: WindowResults, writer: string): Promise<void> {
    const series = [...finalsBySeries(this.namespace, batch)];
    for (let from = 0; from < series.length; from += SERIES_PER_CALL) {
      const chunk = series.slice(from, from + SERIES_PER_CALL);
      const args = [writer, String(this.retentionMs)];
      for (const [, entries] of chunk) {
        args.push(String(entries.length));
        for (const [start, value] of entries) {
          args.push(String(start), String(value));
        }
      }
      try {
        await this.redis.eval(WRITE_SCRIPT, chunk.length + 1, this.leaderKey, ...chunk.map(([key]) => key), ...args);
      } catch (error) {
        if ((error as Error).message.includes('PANECAST_NOT_LEADER')) {
          throw new LeaseLostError(writer);
        }
        throw new Error(`redis: hot-store write failed: ${(error as Error).message}`);
      }
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
