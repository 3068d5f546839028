/**
 * The hot store of composed values: the latest final value of each window
 * of the default subscriptions, readable by series and window start. (The
 * partial panes themselves live in the pane-state store.)
 *
 * Layout (Redis): one hash per series,
 * `panecast:<namespace>:hot:<metric>:<aggregate>:<window>:<dim=value,...>`
 * (namespace = the consumer group, like the pane state), field = window
 * start (epoch ms), value = the aggregate; each hash expires `retentionMs`
 * after its last write. Every composer may write it, but only the one
 * holding the leadership lease does: a write from any other is refused
 * (LeaseLostError), so an old leader cannot overwrite its successor.
 */
import type { WindowResults, WindowSink } from './window-sink';
import { groupName, windowName } from './window-sink';

export interface HotStore extends WindowSink {
  read(metric: string, aggregate: string, window: string, group: Record<string, string>, windowStart: number): Promise<number | undefined>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A hot-store write from a composer that no longer holds the leadership lease; nothing was written. */
export class LeaseLostError extends Error {
  constructor(writer: string) {
    super(`${writer} does not hold the live composer lease; hot-store write refused`);
    this.name = 'LeaseLostError';
  }
}

export function seriesKey(namespace: string, metric: string, aggregate: string, window: string, group: Readonly<Record<string, string>>): string {
  return `panecast:${namespace}:hot:${metric}:${aggregate}:${window}:${groupName(group)}`;
}

/** Final values of a batch grouped by series key: one round trip per series. */
export function finalsBySeries(namespace: string, batch: WindowResults): Map<string, Array<[number, number]>> {
  const grouped = new Map<string, Array<[number, number]>>();
  const window = windowName(batch.sizeMs, batch.slideMs);
  for (const result of batch.results) {
    if (!result.final) {
      continue;
    }
    const key = seriesKey(namespace, batch.metric, batch.aggregate, window, result.group);
    let entries = grouped.get(key);
    if (entries === undefined) {
      entries = [];
      grouped.set(key, entries);
    }
    entries.push([result.window.start, result.value]);
  }
  return grouped;
}
