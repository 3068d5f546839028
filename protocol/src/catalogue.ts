/**
 * `GET /v1/metrics`, the metric catalogue: what a client needs before it opens
 * the live channel (the query editor's choices, and whether a window is served
 * live at all). Defined here, once, because the backend fills it and the
 * datasource reads it.
 */

/**
 * The live channel's longest window when the catalogue does not say (a backend
 * older than `maxLiveWindowMs`): the engine's fine tier by default, 1 h. The
 * gateway refuses longer windows with PANECAST_ERR_LIVE_WINDOW_TOO_LONG.
 */
export const DEFAULT_MAX_LIVE_WINDOW_MS = 3_600_000;

/** One metric of the catalogue. */
export interface CatalogueMetric {
  name: string;
  description?: string;
  unit?: string;
  /** What a query may group by and filter on. */
  dimensions: readonly string[];
  /** What the metric serves, e.g. ['count', 'rate', 'sum', …, 'quantile(q)', 'distinct']. */
  aggregates: readonly string[];
}

export interface MetricCatalogue {
  /** The engine's pane: window sizes and slides must be multiples of it. */
  paneMs: number;
  /**
   * The longest window (ms) the live channel serves: the fine tier the backend
   * runs with. Longer windows are history only (`GET /v1/history`).
   */
  maxLiveWindowMs: number;
  metrics: CatalogueMetric[];
}

/**
 * The live channel's longest window as a catalogue announces it, or the
 * protocol default when it does not (or announces something unusable).
 */
export function maxLiveWindowOf(catalogue: { maxLiveWindowMs?: unknown } | undefined): number {
  const announced = catalogue?.maxLiveWindowMs;
  return typeof announced === 'number' && Number.isSafeInteger(announced) && announced > 0 ? announced : DEFAULT_MAX_LIVE_WINDOW_MS;
}
