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
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
} from '@grafana/data';
import { Observable, lastValueFrom, merge, of } from 'rxjs';

import { BackendApi, PanecastRequestError, proxyBase, toRequestError } from './api';
import { LiveClient } from './live/live-client';
import { liveUrl, type SocketFactory } from './live/socket';
import { liveServes, resolveQuery, validateQuery } from './query-model';
import { checkBackend } from './check';
import { streamTarget } from './stream/target-stream';
import { DEFAULT_QUERY, type MetricCatalogue, type PanecastOptions, type PanecastQuery } from './types';
import { interpolateQuery, interpolateText, parseFindQuery } from './variables';
import { unitOf } from './units';

const DIMENSION_CACHE_MS = 30_000;

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

  /** The metric catalogue, fetched once per instance (a failed fetch is retried next time). */
  getCatalogue(): Promise<MetricCatalogue> {
    if (this.catalogueRequest === undefined) {
      const request = lastValueFrom(this.api.catalogue());
      this.catalogueRequest = request;
      request.catch(() => {
        if (this.catalogueRequest === request) {
          this.catalogueRequest = undefined;
        }
      });
    }
    return this.catalogueRequest;
  }

  /** Values of a dimension seen recently (GET /v1/dimensions), kept 30 s: the editor asks on every keystroke. */
  getDimensionValues(metric: string, dimension: string): Promise<string[]> {
    const key = JSON.stringify([metric, dimension]);
    const now = (this.hooks.now ?? Date.now)();
    const cached = this.dimensionCache.get(key);
    if (cached !== undefined && now - cached.at < DIMENSION_CACHE_MS) {
      return cached.values;
    }
    const values = lastValueFrom(this.api.dimensionValues(metric, dimension)).then((answer) => answer.values);
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
      // The catalogue gives the pane and the unit; without it the backend still validates.
      this.getCatalogue()
        .catch(() => undefined)
        .then((catalogue) => {
          if (closed) {
            return;
          }
          const interpolated = interpolateQuery({ ...DEFAULT_QUERY, ...target } as PanecastQuery, request.scopedVars);
          const problems = validateQuery(interpolated, catalogue);
          if (problems.length > 0) {
            const first = problems[0]!;
            fail(first.code, problems.map((p) => p.message).join('; '));
            subscriber.complete();
            return;
          }
          const query = resolveQuery(interpolated, catalogue?.paneMs ?? 1000);
          const from = request.range.from.valueOf();
          const to = request.range.to.valueOf();
          const now = (this.hooks.now ?? Date.now)();
          // `now…` moves with time; anything else (a drag-zoom, absolute times) is where the axis stays.
          const rawTo = request.range.raw?.to;
          const absolute = rawTo !== undefined && !dateMath.isMathString(rawTo);
          // A range that ended in the past has no live tail to show; a window longer than the fine
          // tier has none either (the gateway would refuse it): both are history only, and Done.
          const streams = query.live && liveServes(query.window.sizeMs) && to >= now - Math.max(60_000, query.window.sizeMs);
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

  interpolateVariablesInQueries(queries: PanecastQuery[], scopedVars: ScopedVars): PanecastQuery[] {
    return queries.map((q) => interpolateQuery(q, scopedVars));
  }

  /** Variable queries: `metrics()` and `dimensions(metric, dimension)`. */
  async metricFindQuery(query: string | { query?: string }, options?: { scopedVars?: ScopedVars }): Promise<MetricFindValue[]> {
    const text = interpolateText(typeof query === 'string' ? query : (query.query ?? ''), options?.scopedVars);
    const parsed = parseFindQuery(text);
    if (parsed === undefined) {
      throw new Error(`Unknown variable query "${text}"; use metrics() or dimensions(metric, dimension)`);
    }
    if (parsed.kind === 'metrics') {
      return (await this.getCatalogue()).metrics.map((m) => ({ text: m.name, value: m.name }));
    }
    const values = await this.getDimensionValues(parsed.metric, parsed.dimension);
    return values.map((v) => ({ text: v, value: v }));
  }

  /** Save & test: the proxy route answers with the key, a token is minted, the live channel takes it. */
  testDatasource(): Promise<TestDataSourceResponse> {
    return checkBackend(this.api, { url: this.live, socket: this.hooks.socket });
  }
}
