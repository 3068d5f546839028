/**
 * What the datasource's getBackendSrv() reaches in Grafana, in two parts:
 * - Grafana's data proxy: only `${PROXY_URL}/<route>/...` is served; the route comes from this
 *   plugin's own plugin.json (`routes`), its `{{ .JsonData.x }}` / `{{ .SecureJsonData.x }}`
 *   filled from `jsonData` / `secureJsonData` as Grafana's server holds them, and a backend 401 is
 *   turned into 400 "Authentication to data source failed", as Grafana does. A request the
 *   browser sends with credentials of its own fails the test: the browser never holds the key.
 * - The Panecast backend behind it: GET /v1/metrics, /v1/history, /v1/dimensions and
 *   POST /v1/live/token, each refused without `Authorization: Bearer <readKey>` (while `readKey`
 *   is set; undefined: live auth off). Minted tokens are listed in `tokens`: give that list to
 *   FakeLiveServer({ tokens: backend.tokens }) so the gateway takes only what the backend minted.
 * Install it with `installFakeBackend()`; set `history` to answer history requests from the
 * test's data; `requests` records what reached the backend, with its query and authorization.
 * Like the backend, it refuses a history range holding more windows than its `maxPoints`.
 */
import { setBackendSrv, setTemplateSrv, type BackendSrv, type BackendSrvRequest, type FetchResponse, type TemplateSrv } from '@grafana/runtime';
import type { ScopedVars, TypedVariableModel } from '@grafana/data';
import { Observable, of, throwError } from 'rxjs';

import manifest from '../plugin.json';
import type { LiveToken, MetricCatalogue, PanecastOptions, PanecastSecureOptions, QueryAnswer } from '../types';

/** instanceSettings.url Grafana gives a proxy-access datasource with uid `panecast`. */
export const PROXY_URL = '/api/datasources/proxy/uid/panecast';
export const BACKEND_URL = 'http://backend.test:8080';
export const READ_KEY = 'read-key-0123456789';

/** A catalogue shaped like backend/metrics/games.yaml as GET /v1/metrics lists it. */
export const GAMES_CATALOGUE: MetricCatalogue = {
  paneMs: 1000,
  metrics: [
    { name: 'active_players', description: 'Distinct players', unit: 'players', dimensions: ['region', 'platform', 'mode'], aggregates: ['count', 'rate', 'distinct'] },
    {
      name: 'matches',
      description: 'Matches finished',
      unit: 's',
      dimensions: ['region', 'platform', 'mode', 'result'],
      aggregates: ['count', 'rate', 'sum', 'avg', 'min', 'max', 'p50', 'p90', 'p95', 'p99', 'quantile(q)'],
    },
    { name: 'events', description: 'Every event by type', dimensions: ['type'], aggregates: ['count', 'rate'] },
  ],
};

export interface RecordedRequest {
  method: string;
  /** The backend path, e.g. /v1/metrics. */
  path: string;
  params: Record<string, string>;
  /** The authorization header the backend received (added by the proxy route). */
  authorization?: string;
}

export interface FakeFailure {
  status: number;
  data?: unknown;
  statusText?: string;
}

interface Route {
  path: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

/** Go-template fields as Grafana's route templates use them; a missing one prints `<no value>`. */
function fill(template: string, data: { JsonData: object; SecureJsonData: object }): string {
  return template.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g, (_whole, scope: 'JsonData' | 'SecureJsonData', name: string) => {
    const value = (data[scope] as Record<string, unknown>)[name];
    return value === undefined ? '<no value>' : String(value);
  });
}

/** Windows a history read's parameters cover, as the backend counts them (history-plan.ts windowStarts). */
export function historyWindows(params: Record<string, string>): number | undefined {
  const [from, to, size, slide] = [params.from, params.to, params.size, params.slide].map(Number) as [number, number, number, number];
  if (![from, to, size, slide].every(Number.isFinite) || slide <= 0) {
    return undefined;
  }
  const first = Math.floor((from - size) / slide) * slide + slide;
  const last = Math.ceil(to / slide) * slide - slide;
  return last < first ? 0 : (last - first) / slide + 1;
}

/** The backend's refusal of a history range holding more windows than `maxPoints` (history-query.ts): a 400 no retry fixes. */
function tooManyWindows(params: Record<string, string>): string | undefined {
  const windows = historyWindows(params);
  const maxPoints = Number(params.maxPoints);
  return windows !== undefined && windows > maxPoints ? `The range holds ${windows} windows of ${params.size} ms every ${params.slide} ms; maxPoints is ${maxPoints}` : undefined;
}

export class FakeBackend {
  /** The datasource's settings as Grafana's server holds them (what the route templates read). */
  jsonData: PanecastOptions = { url: BACKEND_URL };
  secureJsonData: PanecastSecureOptions = { apiKey: READ_KEY };
  /** The read key the backend takes; undefined: live auth off, no key needed. */
  readKey: string | undefined = READ_KEY;
  tokenTtlMs = 3_600_000;
  catalogue: MetricCatalogue = GAMES_CATALOGUE;
  history: (params: Record<string, string>) => QueryAnswer = (params) => ({
    metric: params.metric ?? '',
    aggregate: params.aggregate ?? '',
    window: { sizeMs: Number(params.size), slideMs: Number(params.slide) },
    watermark: null,
    groups: [],
  });
  dimensions: Record<string, string[]> = {};
  /** Failures by backend path, e.g. `failures['/v1/metrics'] = { status: 0 }` (unreachable). */
  failures: Record<string, FakeFailure> = {};
  readonly requests: RecordedRequest[] = [];
  /** Every live token minted, in order. */
  readonly tokens: string[] = [];
  private readonly routes = (manifest as { routes?: Route[] }).routes ?? [];

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    const headers = new Headers(options.headers ?? {});
    if (headers.has('authorization') || JSON.stringify(options).includes(this.secureJsonData.apiKey ?? '\u0000')) {
      throw new Error(`the browser sent credentials of its own to ${options.url}: only Grafana's server may add the key`);
    }
    const { pathname } = new URL(options.url, 'http://grafana.test');
    const proxied = pathname.startsWith(`${PROXY_URL}/`) ? pathname.slice(PROXY_URL.length + 1) : undefined;
    const route = proxied === undefined ? undefined : this.routes.find((r) => proxied.startsWith(r.path));
    if (proxied === undefined || route === undefined) {
      return throwError(() => ({ status: 404, statusText: 'Not Found', data: { message: 'Not found' }, config: options }));
    }
    const data = { JsonData: this.jsonData, SecureJsonData: this.secureJsonData };
    const target = new URL(fill(route.url, data));
    if (target.origin !== BACKEND_URL) {
      // Nothing answers elsewhere: Grafana's proxy reports 502.
      return throwError(() => ({ status: 502, statusText: 'Bad Gateway', data: { message: 'Bad Gateway' }, config: options }));
    }
    const upstream = new Headers();
    for (const header of route.headers ?? []) {
      upstream.set(header.name, fill(header.content, data));
    }
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.params ?? {})) {
      params[k] = String(v);
    }
    const path = `${target.pathname.replace(/\/+$/, '')}/${proxied.slice(route.path.length).replace(/^\/+/, '')}`;
    const method = (options.method ?? 'GET').toUpperCase();
    const authorization = upstream.get('authorization') ?? undefined;
    this.requests.push({ method, path, params, ...(authorization !== undefined ? { authorization } : {}) });
    const failure = this.failures[path];
    if (failure !== undefined) {
      return throwError(() => ({ status: failure.status, statusText: failure.statusText ?? '', data: failure.data ?? {}, config: options }));
    }
    if (this.readKey !== undefined && authorization !== `Bearer ${this.readKey}`) {
      // The backend answers 401 PANECAST_ERR_READ_KEY_*; Grafana's proxy hides it behind a 400.
      return throwError(() => ({ status: 400, statusText: 'Bad Request', data: 'Authentication to data source failed', config: options }));
    }
    if (params.from !== undefined && params.to !== undefined && Number(params.to) <= Number(params.from)) {
      // As the backend's params.ts refuses it.
      return throwError(() => ({ status: 400, data: { error: { code: 'PANECAST_ERR_QUERY_INVALID', message: 'Invalid query: from must be before to' } }, config: options }));
    }
    const tooMany = path === '/v1/history' ? tooManyWindows(params) : undefined;
    if (tooMany !== undefined) {
      return throwError(() => ({ status: 400, data: { error: { code: 'PANECAST_ERR_HISTORY_TOO_MANY_POINTS', message: tooMany } }, config: options }));
    }
    const answer = this.answer(method, path, params);
    if (answer === undefined) {
      return throwError(() => ({ status: 404, data: { error: { code: 'PANECAST_ERR_NOT_FOUND', message: `No route for ${method} ${path}` } }, config: options }));
    }
    return of({ data: answer as T, status: 200, statusText: 'OK', ok: true, url: options.url, config: options } as FetchResponse<T>);
  }

  private answer(method: string, path: string, params: Record<string, string>): unknown {
    switch (`${method} ${path}`) {
      case 'GET /v1/metrics':
        return this.catalogue;
      case 'GET /v1/history':
        return this.history(params);
      case 'GET /v1/dimensions':
        return { values: this.dimensions[`${params.metric}.${params.dimension}`] ?? [] };
      case 'POST /v1/live/token':
        return this.mint();
      default:
        return undefined;
    }
  }

  private mint(): LiveToken {
    if (this.readKey === undefined) {
      return { token: 'anonymous', expiresAt: null, tenant: 'default' };
    }
    const token = `token-${this.tokens.length + 1}`;
    this.tokens.push(token);
    return { token, expiresAt: Date.now() + this.tokenTtlMs, tenant: 'default' };
  }

  /** Requests that reached one backend path. */
  calls(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }
}

/** Makes `backend` what getBackendSrv() returns. */
export function installFakeBackend(backend: FakeBackend = new FakeBackend()): FakeBackend {
  setBackendSrv({ fetch: (options: BackendSrvRequest) => backend.fetch(options) } as unknown as BackendSrv);
  return backend;
}

/**
 * A template service with fixed variables: `$name` and `${name}` are replaced; a multi-value
 * variable gives its values to a format function, or joins them with commas ('csv'). As in
 * Grafana, a format written in the reference (`${name:csv}`, `${name:pipe}`) wins over the one
 * replace() is given.
 */
export function installTemplateVariables(variables: Record<string, string | string[]>): void {
  const pattern = /\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]/g;
  const srv: TemplateSrv = {
    getVariables: () => Object.keys(variables).map((name) => ({ name, type: 'custom' }) as unknown as TypedVariableModel),
    containsTemplate: (target?: string) => target !== undefined && new RegExp(pattern.source).test(target),
    updateTimeRange: () => undefined,
    replace: (target?: string, _scopedVars?: ScopedVars, format?: string | Function) =>
      (target ?? '').replace(pattern, (whole: string, a?: string, b?: string, written?: string, c?: string) => {
        const value = variables[(a ?? b ?? c) as string];
        if (value === undefined) {
          return whole;
        }
        const fmt = written ?? format;
        if (typeof fmt === 'function') {
          return String(fmt(value));
        }
        return Array.isArray(value) ? value.join(fmt === 'pipe' ? '|' : ',') : value;
      }),
  };
  setTemplateSrv(srv);
}
