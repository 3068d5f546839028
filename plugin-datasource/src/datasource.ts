/**
 * The Panecast datasource: history from the backend for the dashboard's range, then the live
 * tail on one WebSocket shared by every query of this instance (stream/target-stream.ts stitches
 * them). Nothing here assumes a dashboard, so Explore works the same way.
 *
 * Credentials: HTTP goes through Grafana's data proxy, which adds the API key on the server
 * (api.ts); the WebSocket goes straight to the gateway at `jsonData.liveUrl` with a live token
 * fetched through that proxy before every connection. The key never reaches the browser.
 */
import {
  DataSourceApi,
  LoadingState,
  dateMath,
  type CoreApp,
  type AdHocVariableFilter,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceGetTagKeysOptions,
  type DataSourceGetTagValuesOptions,
  type DataSourceInstanceSettings,
  type GetTagResponse,
  type LegacyMetricFindQueryOptions,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
  type TimeRange,
} from '@grafana/data';
import { DEFAULT_LIMITS, maxLiveWindowOf } from '@panecast/protocol';
import { Observable, lastValueFrom, merge, of } from 'rxjs';

import { applyAdhocFilters, lookupFilter } from './adhoc-filters';
import { applyGroupByKeys } from './group-by';
import { BackendApi, PanecastRequestError, proxyBase, toRequestError } from './api';
import { LiveClient } from './live/live-client';
import { liveUrl, type SocketFactory } from './live/socket';
import { filterParams, hasVariable, liveServes, resolveQuery, validateQuery } from './query-model';
import { checkBackend } from './check';
import { streamTarget } from './stream/target-stream';
import { DEFAULT_QUERY, type MetricCatalogue, type MetricInfo, type PanecastOptions, type PanecastQuery } from './types';
import { interpolateQuery, interpolateText, parseFindQuery } from './variables';
import { unitOf } from './units';

const DIMENSION_CACHE_MS = 30_000;
/**
 * A query naming a metric the loaded catalogue lacks fetches the catalogue again, at most this
 * often: the metric may have been defined since (the backend's metric files changed).
 */
const CATALOGUE_RECHECK_MS = 5_000;

/**
 * `from`/`to` of GET /v1/dimensions for a range, in whole minutes: the route reads 1-minute panes
 * anyway, and lookups within a minute then share the dimension cache.
 */
function minuteRange(range: TimeRange): Record<string, string> {
  return { from: String(Math.floor(range.from.valueOf() / 60_000) * 60_000), to: String(Math.ceil(range.to.valueOf() / 60_000) * 60_000) };
}

/** Settings as Grafana passes them: `url` is the data proxy's, no secureJsonData. */
export type PanecastInstanceSettings = DataSourceInstanceSettings<PanecastOptions>;

/** The browser-side live URL: `jsonData.liveUrl`, else derived from `jsonData.url`; or why there is none. */
function liveAddress(jsonData: PanecastOptions | undefined): string | PanecastRequestError {
  const address = (jsonData?.liveUrl ?? '').trim() || (jsonData?.url ?? '').trim();
  if (address === '') {
    return new PanecastRequestError('PANECAST_ERR_CLIENT_NO_URL', 'No live URL is configured');
  }
  try {
    return liveUrl(address);
  } catch {
    return new PanecastRequestError('PANECAST_ERR_CLIENT_SOCKET', `The live URL ${address} is not a ws(s) or http(s) URL`);
  }
}

/** Seams for tests and the plugin host; Grafana uses the defaults. */
export interface DataSourceTestHooks {
  socket?: SocketFactory;
  now?: () => number;
  /** Backoff jitter source. */
  random?: () => number;
}

export class DataSource extends DataSourceApi<PanecastQuery, PanecastOptions> {
  readonly api: BackendApi;
  private client?: LiveClient;
  private catalogueRequest?: Promise<MetricCatalogue>;
  /** The catalogue once fetched, for what must answer synchronously (interpolateVariablesInQueries). */
  private loadedCatalogue?: MetricCatalogue;
  /** When the last catalogue request started (the recheck's pace). */
  private catalogueAskedAt = 0;
  /** ws(s):// URL of the live channel, or the configuration error that stops live queries. */
  readonly live: string | PanecastRequestError;
  private readonly dimensionCache = new Map<string, { at: number; values: Promise<string[]> }>();

  constructor(
    instanceSettings: PanecastInstanceSettings,
    private readonly hooks: DataSourceTestHooks = {},
  ) {
    super(instanceSettings);
    const { base, problem } = proxyBase(instanceSettings.url, instanceSettings.jsonData?.url);
    this.api = new BackendApi(base, problem);
    this.live = liveAddress(instanceSettings.jsonData);
  }

  getDefaultQuery(_app: CoreApp): Partial<PanecastQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: PanecastQuery): boolean {
    return !query.hide && (query.metric ?? '') !== '';
  }

  /**
   * The metric catalogue, fetched once per instance (a failed fetch is retried next time), and
   * again when `metric` (a query's metric, interpolated) is missing from the one loaded: without
   * that, a metric defined after the dashboard opened would be "unknown" until a page reload. A
   * recheck that fails keeps the catalogue loaded before. `fresh` (a variable refresh, which must
   * list metrics defined since) rechecks whatever it asks for, at the same pace.
   */
  getCatalogue(metric?: string, fresh = false): Promise<MetricCatalogue> {
    const now = (this.hooks.now ?? Date.now)();
    const loaded = this.loadedCatalogue;
    const unknown = metric !== undefined && metric !== '' && !hasVariable(metric) && loaded !== undefined && !loaded.metrics.some((m) => m.name === metric);
    const recheck = loaded !== undefined && (fresh || unknown) && now - this.catalogueAskedAt >= CATALOGUE_RECHECK_MS;
    if (this.catalogueRequest === undefined || recheck) {
      this.catalogueAskedAt = now;
      const fetched = lastValueFrom(this.api.catalogue());
      const request = loaded === undefined ? fetched : fetched.catch(() => loaded);
      this.catalogueRequest = request;
      request.then(
        (catalogue) => {
          this.loadedCatalogue = catalogue;
        },
        () => {
          if (this.catalogueRequest === request) {
            this.catalogueRequest = undefined;
          }
        },
      );
    }
    return this.catalogueRequest;
  }

  /** The live channel's groupBy limit: the gateway's, once it welcomed this instance's client. */
  private liveMaxGroupBy(): number {
    const announced = this.client?.limits?.maxGroupBy;
    return typeof announced === 'number' && Number.isInteger(announced) && announced > 0 ? announced : DEFAULT_LIMITS.maxGroupBy;
  }

  /**
   * Values of a dimension seen recently (GET /v1/dimensions, `narrow`: its filter and range
   * parameters), kept 30 s: the editor asks on every keystroke.
   */
  getDimensionValues(metric: string, dimension: string, narrow: Record<string, string> = {}): Promise<string[]> {
    const key = JSON.stringify([metric, dimension, narrow]);
    const now = (this.hooks.now ?? Date.now)();
    const cached = this.dimensionCache.get(key);
    if (cached !== undefined && now - cached.at < DIMENSION_CACHE_MS) {
      return cached.values;
    }
    const values = lastValueFrom(this.api.dimensionValues(metric, dimension, narrow)).then((answer) => answer.values);
    this.dimensionCache.set(key, { at: now, values });
    values.catch(() => this.dimensionCache.delete(key));
    return values;
  }

  /** The shared live connection, opened by its first subscription; undefined without a usable live URL. */
  liveClient(): LiveClient | undefined {
    if (typeof this.live !== 'string') {
      return undefined;
    }
    this.client ??= new LiveClient({
      url: this.live,
      // A fresh token before every connection (and renewal): minted for the API key's tenant.
      token: async () => (await lastValueFrom(this.api.liveToken())).token,
      socket: this.hooks.socket,
      now: this.hooks.now,
      random: this.hooks.random,
    });
    return this.client;
  }

  query(request: DataQueryRequest<PanecastQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => this.filterQuery(t));
    if (targets.length === 0) {
      return of({ data: [], state: LoadingState.Done });
    }
    return merge(...targets.map((target) => this.runTarget(target, request)));
  }

  private runTarget(target: PanecastQuery, request: DataQueryRequest<PanecastQuery>): Observable<DataQueryResponse> {
    return new Observable<DataQueryResponse>((subscriber) => {
      let inner: { unsubscribe(): void } | undefined;
      let closed = false;
      const fail = (code: string, message: string) =>
        subscriber.next({ data: [], key: target.refId, state: LoadingState.Error, errors: [{ refId: target.refId, message: `[${code}] ${message}` }] });
      if (this.api.problem !== undefined) {
        const error = this.api.problem;
        fail(error.code, `${error.message}: set it in the datasource settings`);
        subscriber.complete();
        return;
      }
      const interpolated = interpolateQuery({ ...DEFAULT_QUERY, ...target } as PanecastQuery, request.scopedVars);
      // The catalogue gives the pane and the unit; without it the backend still validates.
      this.getCatalogue(interpolated.metric)
        .catch(() => undefined)
        .then((catalogue) => {
          if (closed) {
            return;
          }
          // Interpolated: a variable left in a field is one the dashboard does not define.
          const problems = validateQuery(interpolated, catalogue, { resolved: true });
          if (problems.length > 0) {
            const first = problems[0]!;
            fail(first.code, problems.map((p) => p.message).join('; '));
            subscriber.complete();
            return;
          }
          const resolved = resolveQuery(interpolated, catalogue?.paneMs ?? 1000);
          const dimensions = catalogue?.metrics.find((m) => m.name === resolved.metric)?.dimensions;
          const adhoc = applyAdhocFilters(resolved.filter, request.filters, dimensions);
          if (adhoc.kind === 'unsupported') {
            fail(adhoc.code, adhoc.message);
            subscriber.complete();
            return;
          }
          const from = request.range.from.valueOf();
          const to = request.range.to.valueOf();
          const now = (this.hooks.now ?? Date.now)();
          // A range that ended in the past has no live tail to show; a window longer than the fine
          // tier (as the catalogue announces it) has none either (the gateway would refuse it): both are
          // history only, and Done.
          const streams = resolved.live && liveServes(resolved.window.sizeMs, maxLiveWindowOf(catalogue)) && to >= now - Math.max(60_000, resolved.window.sizeMs);
          // The dashboard's group-by variable: its keys the metric declares join the query's groupBy,
          // within the gateway's groupBy limit when the query subscribes (history has no such limit).
          const grouped = applyGroupByKeys(resolved.groupBy, request.groupByKeys, dimensions, streams ? this.liveMaxGroupBy() : DEFAULT_LIMITS.maxGroupBy);
          if (grouped.kind === 'too-many') {
            fail(grouped.code, grouped.message);
            subscriber.complete();
            return;
          }
          if (adhoc.kind === 'empty') {
            // The query's filter and the ad-hoc filters on one dimension share no value: no series
            // can match, now or later, so there is nothing to read or watch.
            subscriber.next({ data: [], key: target.refId, state: LoadingState.Done });
            subscriber.complete();
            return;
          }
          // History and the live subscription are both built from `filter` and `groupBy`: both see
          // the ad-hoc filters and the group-by variable.
          const query = { ...resolved, filter: adhoc.filter, groupBy: grouped.groupBy };
          // `now…` moves with time; anything else (a drag-zoom, absolute times) is where the axis stays.
          const rawTo = request.range.raw?.to;
          const absolute = rawTo !== undefined && !dateMath.isMathString(rawTo);
          const live = streams ? this.liveClient() : undefined;
          if (streams && typeof this.live !== 'string') {
            fail(this.live.code, `${this.live.message}: set the live URL in the datasource settings`);
            subscriber.complete();
            return;
          }
          inner = streamTarget(
            { api: this.api, live, now: this.hooks.now, random: this.hooks.random },
            { query, from, to, maxDataPoints: request.maxDataPoints ?? 1000, absolute, unit: unitOf(catalogue, query) },
          ).subscribe(subscriber);
        })
        .catch((error: unknown) => {
          const coded = toRequestError(error, this.api.base);
          fail(coded.code, coded.message);
          subscriber.complete();
        });
      return () => {
        closed = true;
        inner?.unsubscribe();
      };
    });
  }

  /**
   * The metrics an ad-hoc lookup is about: those the dashboard's queries name when Grafana passes
   * them (the variable's "use queries to filter options"), else every metric of the catalogue.
   */
  private lookupMetrics(catalogue: MetricCatalogue, queries: PanecastQuery[] | undefined): MetricInfo[] {
    const named = new Set((queries ?? []).filter((q) => this.filterQuery(q)).map((q) => interpolateText(q.metric)));
    const queried = catalogue.metrics.filter((m) => named.has(m.name));
    return queried.length > 0 ? queried : catalogue.metrics;
  }

  /** An ad-hoc lookup's answer from the catalogue; a catalogue that cannot load is the answer's error, with its code. */
  private async withCatalogue(answer: (catalogue: MetricCatalogue) => GetTagResponse | Promise<GetTagResponse>): Promise<GetTagResponse> {
    let catalogue: MetricCatalogue;
    try {
      catalogue = await this.getCatalogue();
    } catch (error) {
      return { data: [], error: { message: toRequestError(error, this.api.base).describe() } };
    }
    return answer(catalogue);
  }

  /** Ad-hoc filter keys: the declared dimensions of the metrics (GET /v1/metrics). */
  getTagKeys(options?: DataSourceGetTagKeysOptions<PanecastQuery>): Promise<GetTagResponse> {
    return this.withCatalogue((catalogue) => {
      const keys = new Set(this.lookupMetrics(catalogue, options?.queries).flatMap((m) => m.dimensions));
      return { data: [...keys].sort().map((key) => ({ text: key, value: key })) };
    });
  }

  /**
   * Group-by variable keys: the same declared dimensions (group-by.ts). Grafana's ad-hoc variable
   * with group-by and its new dashboards look for this method; its GroupByVariable may ask getTagKeys.
   */
  getGroupByKeys(options?: DataSourceGetTagKeysOptions<PanecastQuery>): Promise<GetTagResponse> {
    return this.getTagKeys(options);
  }

  /**
   * Ad-hoc filter values of one key: GET /v1/dimensions for every metric declaring it, over the
   * dashboard's range, narrowed by the other filters that apply to that metric. What some metrics
   * answered is listed even when others failed; the failure rides along as the response's error.
   */
  getTagValues(options: DataSourceGetTagValuesOptions<PanecastQuery>): Promise<GetTagResponse> {
    return this.withCatalogue(async (catalogue) => {
      const range = options.timeRange === undefined ? {} : minuteRange(options.timeRange);
      const lookups = this.lookupMetrics(catalogue, options.queries)
        .filter((m) => m.dimensions.includes(options.key))
        .flatMap((m) => {
          const filter = lookupFilter(options.key, options.filters, m.dimensions);
          if (filter === undefined) {
            return []; // the other filters leave this metric no series
          }
          return [this.getDimensionValues(m.name, options.key, { ...range, ...filterParams(filter) })];
        });
      const answers = await Promise.allSettled(lookups);
      const values = new Set(answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : [])));
      const failed = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
      const response: GetTagResponse = { data: [...values].sort().map((v) => ({ text: v, value: v })) };
      if (failed !== undefined) {
        response.error = { message: toRequestError(failed.reason, this.api.base).describe() };
      }
      return response;
    });
  }

  /**
   * Queries with variables replaced. With `filters` (the ad-hoc filters: Grafana passes them when a
   * panel opens in Explore, which has no ad-hoc variable) those that apply are written into each
   * query's own filters. That needs the metric's dimensions: until the catalogue has loaded, or
   * when a filter cannot be expressed or leaves no value, the query keeps its own filters.
   * Grafana hands Explore no group-by keys (getExploreUrl passes the filters only), so a query
   * opened there keeps its own groupBy.
   */
  interpolateVariablesInQueries(queries: PanecastQuery[], scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): PanecastQuery[] {
    return queries.map((q) => {
      const query = interpolateQuery(q, scopedVars);
      const dimensions = this.loadedCatalogue?.metrics.find((m) => m.name === query.metric)?.dimensions;
      if (filters === undefined || filters.length === 0 || dimensions === undefined) {
        return query;
      }
      const own: Record<string, string[]> = {};
      for (const f of query.filters ?? []) {
        if (f.dimension !== '' && f.values.length > 0) {
          own[f.dimension] = [...new Set([...(own[f.dimension] ?? []), ...f.values])];
        }
      }
      const outcome = applyAdhocFilters(own, filters, dimensions);
      return outcome.kind === 'filter' ? { ...query, filters: Object.entries(outcome.filter).map(([dimension, values]) => ({ dimension, values })) } : query;
    });
  }

  /**
   * Variable queries: `metrics()` and `dimensions(metric, dimension)`. Grafana passes `range` when
   * the variable refreshes on dashboard load or time-range change: dimension values are those seen
   * in that range (without one, the backend's default, the last hour), and the metric list is
   * fetched again if the loaded one is older than the catalogue's recheck pace.
   */
  async metricFindQuery(query: string | { query?: string }, options?: LegacyMetricFindQueryOptions): Promise<MetricFindValue[]> {
    const text = interpolateText(typeof query === 'string' ? query : (query.query ?? ''), options?.scopedVars);
    const parsed = parseFindQuery(text);
    if (parsed === undefined) {
      throw new Error(`Unknown variable query "${text}"; use metrics() or dimensions(metric, dimension)`);
    }
    if (parsed.kind === 'metrics') {
      return (await this.getCatalogue(undefined, true)).metrics.map((m) => ({ text: m.name, value: m.name }));
    }
    const values = await this.getDimensionValues(parsed.metric, parsed.dimension, options?.range === undefined ? {} : minuteRange(options.range));
    return values.map((v) => ({ text: v, value: v }));
  }

  /** Save & test: the proxy route answers with the key, a token is minted, the live channel takes it. */
  testDatasource(): Promise<TestDataSourceResponse> {
    return checkBackend(this.api, { url: this.live, socket: this.hooks.socket });
  }
}
