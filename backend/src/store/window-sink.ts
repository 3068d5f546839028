/**
 * Where composed window values go: the hot store, the history store and the
 * live channel all implement this one port, so the emitter does not know
 * which of them it feeds.
 */
import type { WindowSpan } from '@panecast/protocol';

export interface WindowValue {
  /** Dimension values of the group, e.g. `{ type: "click" }`. */
  group: Readonly<Record<string, string>>;
  window: WindowSpan;
  value: number;
  /** The watermark passed the window's end. */
  final: boolean;
  /** A window already sent as final, recomputed after late events. */
  correction: boolean;
}

export interface WindowResults {
  metric: string;
  /** e.g. `count`, `sum`, `p99`. */
  aggregate: string;
  sizeMs: number;
  slideMs: number;
  results: readonly WindowValue[];
}

export interface WindowSink {
  readonly name: string;
  /**
   * Must be idempotent: a retry after a failure writes the same values again.
   * `writer` is the composer instance that composed the batch: a sink several
   * composers share writes only while `writer` holds the leadership lease, so
   * one that stalled past its lease cannot overwrite what its successor wrote.
   */
  write(batch: WindowResults, writer: string): Promise<void>;
}

/** Label value for a window length, e.g. 1000 → "1s", 60000 → "1m". */
export function windowLabel(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** "1s" for tumbling windows, "1m/5s" for sliding ones. */
export function windowName(sizeMs: number, slideMs: number): string {
  return sizeMs === slideMs ? windowLabel(sizeMs) : `${windowLabel(sizeMs)}/${windowLabel(slideMs)}`;
}

/**
 * Stable text form of a group: dimensions sorted, `dim=value` joined by `,`.
 * Values are the senders' own text, so `%`, `,` and `=` in them are escaped
 * (%25, %2C, %3D): two groups never share a name. Values without them read
 * as before, so keys written by older versions stay readable.
 */
export function groupName(group: Readonly<Record<string, string>>): string {
  return Object.keys(group)
    .sort()
    .map((dimension) => `${dimension}=${escapeGroupValue(group[dimension] as string)}`)
    .join(',');
}

const GROUP_SEPARATORS = /[%,=]/g;
const ESCAPED: Readonly<Record<string, string>> = { '%': '%25', ',': '%2C', '=': '%3D' };

function escapeGroupValue(value: string): string {
  return value.replace(GROUP_SEPARATORS, (c) => ESCAPED[c] as string);
}
