/**
 * Options of the Panecast live panel, and the data contract it reads.
 *
 * ## What the panel reads from the data (the contract for the datasource author)
 *
 * Any time-series datasource works; the Panecast datasource adds three extras.
 *
 * Per data frame:
 * - one field of type `time` (epoch ms, ascending; the window start). Every field of type
 *   `number` in the frame is one series, named by Grafana's usual display-name rules (labels,
 *   `config.displayNameFromDS`, the field name).
 * - `final` (FINAL_FIELD): optional boolean field, one value per row. `false` while the window
 *   is still open (its value can still grow), `true` once the watermark has passed it. A frame
 *   without it is drawn as all final (plain history).
 * - `corrected` (CORRECTED_FIELD): optional boolean field, one value per row. `true` on a final
 *   value that was re-sent after a late event changed it; the panel marks those points.
 *   Both flags are found by name whatever the field's type; a source without booleans may send
 *   1/0 or "true"/"false" (anything else is no flag).
 * - `meta.custom.connection` (LiveFrameMeta): optional state of the live channel behind the
 *   frame, one of LIVE_CONNECTION_STATES. Set it on every frame you emit, including frames
 *   with no rows, so the panel can show a reconnect before any point arrives; when frames
 *   disagree the worst state wins (disconnected > reconnecting > connected).
 *
 * Without `meta.custom.connection` the panel derives the state from `PanelData.state`:
 * Streaming → connected, Loading/NotStarted → connecting, Error → disconnected,
 * Done → history (not live: no stale badge).
 *
 * An update is a new `PanelData` while the state is `connected`; the stale badge appears when
 * none arrived for `staleAfterSeconds` after the last one (never before the first).
 */
import { SortOrder, TooltipDisplayMode } from '@grafana/schema';

/** Name of the optional per-row boolean field: false while the window is still open. */
export const FINAL_FIELD = 'final';
/** Name of the optional per-row boolean field: true on a final value re-sent after late events. */
export const CORRECTED_FIELD = 'corrected';

/** The live-channel states a datasource may put in `frame.meta.custom.connection`. */
export const LIVE_CONNECTION_STATES = ['connected', 'reconnecting', 'disconnected'] as const;
/** State of the live channel as the datasource reports it. */
export type LiveConnection = (typeof LIVE_CONNECTION_STATES)[number];

/** What a datasource may put in `frame.meta.custom` for this panel. */
export interface LiveFrameMeta {
  connection?: LiveConnection;
}

/** What the panel shows: the reported live state, or one derived from the loading state. */
export type ConnectionState = LiveConnection | 'connecting' | 'history';

/** How windows that are still open (final = false) are drawn; final windows are always solid. */
export type WindowStyle = 'dashed' | 'faded' | 'solid' | 'hidden';

/** Where the legend sits. */
export type LegendPlacement = 'bottom' | 'right';

/** Legend options: the legend lists each series with its current value. */
export interface LegendOptions {
  show: boolean;
  placement: LegendPlacement;
}

/**
 * Tooltip options, named and valued as in Grafana's own panels (`VizTooltipOptions`), so a
 * dashboard's JSON reads the same: `single` lists the series nearest the cursor, `multi` (All)
 * every series, `none` (Hidden) shows no tooltip; `sort` orders All's rows by value.
 */
export interface TooltipOptions {
  mode: TooltipDisplayMode;
  sort: SortOrder;
}

/** Panel options (set in the panel editor). */
export interface LiveOptions {
  windowStyle: WindowStyle;
  /** Seconds without an update before the stale badge shows. */
  staleAfterSeconds: number;
  markCorrections: boolean;
  legend: LegendOptions;
  tooltip: TooltipOptions;
}

/** Defaults of the panel options (also what module.ts declares). */
export const DEFAULT_OPTIONS: LiveOptions = {
  windowStyle: 'dashed',
  staleAfterSeconds: 5,
  markCorrections: true,
  legend: { show: true, placement: 'bottom' },
  // All, not Grafana's usual Single: a live panel compares its series at the same window.
  tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.None },
};

/** How thresholds from the field config are drawn. */
export type ThresholdsStyle = 'off' | 'line' | 'dashed' | 'area' | 'line+area' | 'dashed+area';

/** Custom field config of the panel (per field, overridable). */
export interface LiveFieldConfig {
  lineWidth: number;
  thresholdsStyle: ThresholdsStyle;
  /**
   * Soft limits of the series' y axis (Grafana's *Soft min* / *Soft max*, same names): the axis
   * reaches at least this far, further when the data does. Unset by default.
   */
  axisSoftMin?: number;
  axisSoftMax?: number;
}

/** Defaults of the custom field config. */
export const DEFAULT_FIELD_CONFIG: LiveFieldConfig = {
  lineWidth: 1,
  thresholdsStyle: 'off',
};
