/**
 * Why frames that hold rows draw no series: said in the panel instead of "Waiting for data",
 * which sent authors looking at the connection when the query's shape was the problem (as
 * Grafana's own time series panel says it).
 */
import { type DataFrame, FieldType } from '@grafana/data';

import { seriesFields } from './model';

/** The panel's message for frames with rows but no series; undefined when no frame has rows. */
export function undrawableReason(frames: readonly DataFrame[]): string | undefined {
  let rows = false;
  let timed = false;
  for (const frame of frames) {
    if (!frame.fields.some((f) => f.values.length > 0)) {
      // A live query's frame before its first window carries only the connection state.
      continue;
    }
    rows = true;
    if (seriesFields(frame).length > 0) {
      return undefined;
    }
    timed ||= frame.fields.some((f) => f.type === FieldType.time && f.values.length > 0);
  }
  if (!rows) {
    return undefined;
  }
  return timed ? 'No numeric fields' : 'Data has no time field';
}
