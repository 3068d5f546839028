/** In-memory twin of the Redis hot store, with the same keys and expiry. */
import { finalsBySeries, LeaseLostError, seriesKey, type HotStore } from './hot-store';
import type { WindowResults } from './window-sink';

export class MemoryHotStore implements HotStore {
  readonly name = 'hot-store';
  private readonly hashes = new Map<string, { fields: Map<number, number>; expiresAt: number }>();

  constructor(
    private readonly namespace: string,
    private readonly retentionMs: number,
    /** Whether a composer holds the leadership lease now (the memory live bus's holdsLease). */
    private readonly holdsLease: (writer: string) => boolean,
    private readonly clock: () => number = Date.now,
  ) {}

  async write(batch: WindowResults, writer: string): Promise<void> {
    if (!this.holdsLease(writer)) {
      throw new LeaseLostError(writer);
    }
    const now = this.clock();
    for (const [key, entries] of finalsBySeries(this.namespace, batch)) {
      let hash = this.hashes.get(key);
      if (hash === undefined || hash.expiresAt <= now) {
        hash = { fields: new Map(), expiresAt: 0 };
        this.hashes.set(key, hash);
      }
      for (const [start, value] of entries) {
        hash.fields.set(start, value);
      }
      hash.expiresAt = now + this.retentionMs;
    }
  }

  async read(metric: string, aggregate: string, window: string, group: Record<string, string>, windowStart: number): Promise<number | undefined> {
    const hash = this.hashes.get(seriesKey(this.namespace, metric, aggregate, window, group));
    if (hash === undefined || hash.expiresAt <= this.clock()) {
      return undefined;
    }
    return hash.fields.get(windowStart);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.hashes.clear();
  }
}
