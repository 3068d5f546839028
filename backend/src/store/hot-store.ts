/**
 * The hot store port: recent window values, readable by key and window.
 * Redis is the real one (redis-hot-store.ts); memory-hot-store.ts its twin.
 *
 * Layout (Redis): one hash per series, `panecast:{metric}:{aggregate}:{window}:{dimension}={value}`,
 * field = window start (epoch ms), value = the aggregate. Each hash expires
 * `retentionMs` after its last write.
 */
import type { WindowResults, WindowSink } from './window-sink';
import { windowLabel } from './window-sink';

export interface HotStore extends WindowSink {
  read(metric: string, aggregate: string, sizeMs: number, dimension: string, key: string, windowStart: number): Promise<number | undefined>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function seriesKey(metric: string, aggregate: string, sizeMs: number, dimension: string, key: string): string {
  return `panecast:${metric}:${aggregate}:${windowLabel(sizeMs)}:${dimension}=${key}`;
}

/** Groups a batch's results by series key: one round trip per series. */
export function bySeries(batch: WindowResults): Map<string, Array<[number, number]>> {
  const grouped = new Map<string, Array<[number, number]>>();
  for (const result of batch.results) {
    const key = seriesKey(batch.metric, batch.aggregate, batch.sizeMs, batch.dimension, result.key);
    let entries = grouped.get(key);
    if (entries === undefined) {
      entries = [];
      grouped.set(key, entries);
    }
    entries.push([result.window.start, result.count]);
  }
  return grouped;
}
