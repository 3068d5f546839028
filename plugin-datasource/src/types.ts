/**
 * The datasource's query model, its settings, the backend's JSON shapes it reads, and the data
 * frame contract the Panecast panel reads (plugin-panel/src/types.ts states the panel's side).
 *
 * ## Frames this datasource emits (one per series)
 * - `Time` (time), epoch ms, ascending: a tumbling window's start (the interval it covers
 *   begins there), a sliding window's end (its value is "as of" that instant, as in Prometheus;
 *   stamped at the start, the last `size` of every chart would stay blank). Windows are half-open
 *   [start, end); `meta.custom.window` gives size and slide.
 * - `Value` (number): the aggregate; `labels` are the series' dimension values and
 *   `config.displayNameFromDS` is the legend (legendFormat applied).
 * - `final` (boolean): false while the window is open (its value can still change), true once the
 *   watermark passed its end.
 * - `corrected` (boolean): true on a final value that a late event changed after it was sent.
 * - `meta.custom` (PanecastFrameMeta): the query's window, and for live queries the state of the
 *   live channel (`connection`, with `connectionCode` while it is not connected). Staleness is
 *   the panel's to judge: every applied live frame leads to a new emit (at most ~20 per second).
 * The boolean fields carry `hideFrom` so Grafana's own panels do not draw them as series.
 * A live query with no series yet emits one empty frame so the connection state still shows.
 */
import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';
import type { CatalogueMetric, MetricCatalogue as ProtocolCatalogue } from '@panecast/protocol';

/** Tumbling: back-to-back windows of `size`. Sliding: windows of `size` starting every `slide`. */
export type WindowType = 'tumbling' | 'sliding';

/** One filter: the series whose `dimension` has one of `values` (values may be `$var`, multi-value expands). */
export interface QueryFilter {
  dimension: string;
  values: string[];
}

/** A dashboard target. Every string field may hold template variables. */
export interface PanecastQuery extends DataQuery {
  /** A metric name from GET /v1/metrics. */
  metric: string;
  /** count|sum|avg|min|max|rate|distinct|p50|p90|p95|p99|quantile(q). */
  aggregate: string;
  /**
   * Durations such as '1s', '10s', '1m', '5m' (or `$var`). `slide` counts only for sliding windows;
   * a tumbling one may keep it, so that switching back to sliding restores it.
   */
  window: { type: WindowType; size: string; slide?: string };
  /** Declared dimensions of the metric: one series per distinct tuple. */
  groupBy?: string[];
  filters?: QueryFilter[];
  /** Default true; false = history only. */
  live?: boolean;
  /** '{{region}} / {{platform}}'; `{{metric}}` and `{{aggregate}}` work too. */
  legendFormat?: string;
}

/** What a new query starts with. */
export const DEFAULT_QUERY: Partial<PanecastQuery> = {
  aggregate: 'count',
  window: { type: 'tumbling', size: '1s' },
  live: true,
};

/**
 * Settings of one datasource instance (jsonData). Two addresses, because two different machines
 * use them: Grafana's server forwards HTTP to `url` (the data proxy route in plugin.json), the
 * browser opens the live WebSocket at `liveUrl`. In docker compose they differ
 * (`http://backend:8080` inside the network, `ws://localhost:8080/v1/live` from the browser).
 */
export interface PanecastOptions extends DataSourceJsonData {
  /** Backend base URL as Grafana's server reaches it, e.g. http://backend:8080. */
  url: string;
  /**
   * The live channel as the browser reaches it, e.g. ws://localhost:8080/v1/live (`/v1/live` is
   * added when the path lacks it; http(s) becomes ws(s)). Empty: derived from `url`.
   */
  liveUrl?: string;
}

/** Secret settings (secureJsonData): Grafana keeps them on its server; they never reach the browser. */
export interface PanecastSecureOptions {
  /** A read key (PANECAST_READ_KEYS): the data proxy sends it as `Authorization: Bearer <key>`. */
  apiKey?: string;
}

/**
 * The data proxy route (plugin.json `routes[].path`): every HTTP request goes to
 * `${instanceSettings.url}/panecast/v1/...`, and Grafana's server forwards it to `jsonData.url`
 * with the API key added. The browser never holds the key, and needs no CORS.
 */
export const PROXY_ROUTE = 'panecast';

// ---------------------------------------------------------------------------
// Backend JSON

/**
 * One metric of GET /v1/metrics (the protocol's CatalogueMetric). `aggregates` is what the backend
 * serves; an older catalogue gives the definition (measure, quantiles, distinctOf) instead.
 */
export interface MetricInfo extends Omit<CatalogueMetric, 'aggregates'> {
  aggregates?: readonly string[];
  measure?: string;
  quantiles?: boolean;
  distinctOf?: string;
}

/**
 * GET /v1/metrics (the protocol's MetricCatalogue) as any backend answers it: one older than
 * `maxLiveWindowMs` leaves it out (read it with maxLiveWindowOf, which falls back to the protocol's 1 h).
 */
export interface MetricCatalogue extends Omit<ProtocolCatalogue, 'maxLiveWindowMs' | 'metrics'> {
  maxLiveWindowMs?: number;
  metrics: MetricInfo[];
}

/** One window of one series as GET /v1/query and /v1/history answer it. */
export interface AnswerPoint {
  start: number;
  end: number;
  value: number;
  final: boolean;
}

/** GET /v1/history (and /v1/query). */
export interface QueryAnswer {
  metric: string;
  aggregate: string;
  window: { sizeMs: number; slideMs: number };
  watermark: number | null;
  groups: Array<{ group: Record<string, string>; points: AnswerPoint[] }>;
}

/** GET /v1/dimensions. */
export interface DimensionValues {
  values: string[];
}

/** POST /v1/live/token: a live-channel token for the API key's tenant. */
export interface LiveToken {
  /** What hello carries. */
  token: string;
  /** Epoch ms from which the gateway refuses it; null: the gateway runs without auth. */
  expiresAt: number | null;
  tenant?: string;
}

/** The backend's error body. */
export interface BackendErrorBody {
  error: { code: string; message: string };
}

// ---------------------------------------------------------------------------
// Frames

/** Field names of the frames this datasource emits (see the file comment). */
export const FRAME_FIELDS = Object.freeze({
  time: 'Time',
  value: 'Value',
  final: 'final',
  corrected: 'corrected',
});

/** Live-channel state in `meta.custom.connection`; the panel's LIVE_CONNECTION_STATES. */
export type FrameConnection = 'connected' | 'reconnecting' | 'disconnected';

/** `frame.meta.custom` of every frame this datasource emits. */
export interface PanecastFrameMeta {
  metric: string;
  aggregate: string;
  window: { type: WindowType; sizeMs: number; slideMs: number };
  /** Live queries only. */
  connection?: FrameConnection;
  /** The stable code of the last connection failure, while not connected. */
  connectionCode?: string;
}
