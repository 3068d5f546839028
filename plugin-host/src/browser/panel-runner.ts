/**
 * One panel query, run the way Grafana's panel query runner does it for the
 * parts a streaming datasource and a panel plugin rely on:
 * - the request: targets with the panel's datasource ref, `filterQuery`
 *   applied, `maxDataPoints` = the panel's setting or its width, `interval`
 *   from `rangeUtil.calculateInterval` (honouring the panel's min interval),
 *   `__interval`/`__interval_ms` in scopedVars, a fresh `requestId`;
 * - `datasource.query()` as an Observable (a Promise is lifted); packets are
 *   kept per `key` (refId) and every emission merges the latest packet of
 *   each key, in first-seen order; the state is the latest packet's, or Error
 *   when any packet carries an error; while streaming, `timeRange` is the
 *   request's relative range re-evaluated at each packet (so it moves);
 * - a Loading state if nothing arrived within 200 ms; a thrown error becomes
 *   state Error with `toDataQueryError`; unsubscribing tears the datasource's
 *   Observable down and cancels its in-flight requests;
 * - frames go through `toDataFrame` + `guessFieldTypes`, then
 *   `applyFieldOverrides` with the panel's field config, the plugin's field
 *   config registry, the template service and the dark theme.
 * Not emulated: transformations, expressions/mixed datasources, query
 * caching, shared queries ("-- Dashboard --"), annotations queries.
 */
import {
  type DataFrame,
  type DataQueryError,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceApi,
  type FieldConfigSource,
  type GrafanaTheme2,
  LoadingState,
  type PanelData,
  type PanelPlugin,
  type RawTimeRange,
  type ScopedVars,
  type TimeRange,
  CoreApp,
  applyFieldOverrides,
  dateMath,
  dateTime,
  guessFieldTypes,
  rangeUtil,
  toDataFrame,
} from '@grafana/data';
import { toDataQueryError } from '@grafana/runtime';
import type { DataQuery } from '@grafana/schema';
import { Observable, catchError, finalize, from, map, merge, of, share, takeUntil, timer } from 'rxjs';
import type { HostBackendSrv } from './backend-srv';
import type { PanelJson } from './dashboard-model';
import { LOADING_DELAY_MS } from './host-constants';
import type { HostTemplateSrv } from './template-srv';

export interface PanelRunInput {
  datasource: DataSourceApi;
  panel: PanelJson;
  targets: DataQuery[];
  range: TimeRange;
  width: number;
  dashboard: { uid: string; title: string; timezone: string; liveNow: boolean };
  plugin: PanelPlugin;
  fieldConfig: FieldConfigSource;
  templateSrv: HostTemplateSrv;
  backendSrv: HostBackendSrv;
  theme: GrafanaTheme2;
}

let requestCounter = 0;

export function buildRequest(input: PanelRunInput): DataQueryRequest<DataQuery> {
  const { datasource, panel, range, width, dashboard, templateSrv } = input;
  const maxDataPoints = panel.maxDataPoints ?? Math.max(1, Math.round(width));
  const minInterval = templateSrv.replace(panel.interval ?? datasource.interval ?? '');
  const { interval, intervalMs } = rangeUtil.calculateInterval(range, maxDataPoints, minInterval || undefined);
  const scopedVars: ScopedVars = {
    __interval: { text: interval, value: interval },
    __interval_ms: { text: String(intervalMs), value: intervalMs },
  };
  const ref = datasource.getRef();
  let targets = input.targets.map((target) => ({ ...target, datasource: target.datasource ?? ref }));
  if (datasource.filterQuery) {
    targets = targets.filter((target) => datasource.filterQuery?.(target) ?? true);
  }
  requestCounter += 1;
  return {
    app: CoreApp.Dashboard,
    requestId: `host-panel-${panel.id}-${requestCounter}`,
    timezone: dashboard.timezone,
    panelId: panel.id,
    panelName: panel.title,
    panelPluginId: panel.type,
    dashboardUID: dashboard.uid,
    dashboardTitle: dashboard.title,
    range,
    rangeRaw: range.raw,
    interval,
    intervalMs,
    maxDataPoints,
    scopedVars,
    targets,
    startTime: Date.now(),
    liveStreaming: dashboard.liveNow,
  };
}

/** A raw range (`now-5m`, an ISO date or epoch ms, as in Grafana's URL) evaluated now. */
export function rangeFromRaw(raw: RawTimeRange): TimeRange {
  const parse = (value: RawTimeRange['from'], roundUp: boolean) =>
    typeof value === 'string' && /^\d+$/.test(value) ? dateTime(Number(value)) : dateMath.parse(value, roundUp);
  const from = parse(raw.from, false);
  const to = parse(raw.to, true);
  if (!from?.isValid() || !to?.isValid()) {
    throw new Error(`plugin host: invalid time range ${JSON.stringify(raw)}`);
  }
  return { from, to, raw };
}

/** A relative range evaluated now; an absolute one comes back unchanged. */
export function evaluateRange(range: TimeRange): TimeRange {
  const relative = typeof range.raw.from === 'string' && range.raw.from.startsWith('now');
  return relative ? rangeFromRaw(range.raw) : range;
}

function packetErrors(packet: DataQueryResponse): DataQueryError[] {
  const errors = [...(packet.errors ?? [])];
  if (packet.error && !errors.includes(packet.error)) {
    errors.unshift(packet.error);
  }
  return errors;
}

/** Merges the latest packet of every key into one PanelData (Grafana's processResponsePacket). */
function mergePackets(packets: Map<string, DataQueryResponse>, latest: DataQueryResponse, request: DataQueryRequest): PanelData {
  let state = latest.state ?? LoadingState.Done;
  const series: DataFrame[] = [];
  const annotations: DataFrame[] = [];
  const errors: DataQueryError[] = [];
  for (const packet of packets.values()) {
    errors.push(...packetErrors(packet));
    for (const item of packet.data ?? []) {
      const frame = guessFieldTypes(toDataFrame(item));
      (frame.meta?.dataTopic === 'annotations' ? annotations : series).push(frame);
    }
  }
  if (errors.length > 0) {
    state = LoadingState.Error;
  }
  const timeRange = state === LoadingState.Streaming ? evaluateRange(request.range) : request.range;
  return { state, series, annotations, errors: errors.length > 0 ? errors : undefined, error: errors[0], request, timeRange };
}

export function runPanelQuery(input: PanelRunInput): Observable<PanelData> {
  const request = buildRequest(input);
  const initial: PanelData = { state: LoadingState.Loading, series: [], request, timeRange: request.range };
  if (request.targets.length === 0) {
    return of({ ...initial, state: LoadingState.Done });
  }
  const packets = new Map<string, DataQueryResponse>();
  let last: PanelData = initial;
  const data$ = from(input.datasource.query(request)).pipe(
    map((packet: DataQueryResponse) => {
      if (!Array.isArray(packet.data)) {
        throw new Error(`Expected response data to be array, got ${typeof packet.data}.`);
      }
      request.endTime = Date.now();
      packets.set(packet.key ?? 'A', packet);
      last = mergePackets(packets, packet, request);
      return last;
    }),
    catchError((error: unknown) => {
      const queryError = toDataQueryError(error);
      return of<PanelData>({ ...last, state: LoadingState.Error, error: queryError, errors: [queryError] });
    }),
    finalize(() => input.backendSrv.resolveCancelerIfExists(request.requestId)),
    share(),
  );
  return merge(timer(LOADING_DELAY_MS).pipe(map(() => initial), takeUntil(data$)), data$).pipe(
    map((data) => withFieldConfig(data, input)),
  );
}

/** `applyFieldOverrides`, as the panel runner does before a panel sees the data. */
export function withFieldConfig(data: PanelData, input: PanelRunInput): PanelData {
  if (data.series.length === 0) {
    return data;
  }
  const series = applyFieldOverrides({
    data: data.series,
    fieldConfig: input.fieldConfig,
    fieldConfigRegistry: input.plugin.fieldConfigRegistry,
    replaceVariables: (value, scopedVars, format) => input.templateSrv.replace(value, { ...data.request?.scopedVars, ...scopedVars }, format),
    theme: input.theme,
    timeZone: input.dashboard.timezone,
  });
  return { ...data, series };
}
