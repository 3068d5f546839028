/**
 * The backend's HTTP API as the datasource uses it: every request goes through Grafana's data
 * proxy (`${instanceSettings.url}/panecast/...`, the route in plugin.json), whose server side adds
 * `Authorization: Bearer <secureJsonData.apiKey>` and forwards to `jsonData.url`. So the browser
 * never holds the key and needs no CORS; requests carry Grafana's headers and show in the query
 * inspector. History comes from GET /v1/history, never from VictoriaMetrics.
 * Every failure becomes a PanecastRequestError with a stable code.
 */
import { getBackendSrv, isFetchError, type FetchResponse } from '@grafana/runtime';
import { formatClientMessage, type ClientErrorCode } from '@panecast/protocol';
import { Observable, catchError, map, throwError } from 'rxjs';

import { PROXY_ROUTE, type BackendErrorBody, type DimensionValues, type LiveToken, type MetricCatalogue, type QueryAnswer } from './types';

/** A failed request: `code` is the backend's PANECAST_ERR_* or a PANECAST_ERR_CLIENT_* one. */
export class PanecastRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PanecastRequestError';
  }

  /** `[CODE] message`, the form every user-facing text takes. */
  describe(): string {
    return `[${this.code}] ${this.message}`;
  }
}

export function clientError(code: ClientErrorCode, params: Record<string, string | number> = {}): PanecastRequestError {
  return new PanecastRequestError(code, formatClientMessage(code, params));
}

function isErrorBody(data: unknown): data is BackendErrorBody {
  if (typeof data !== 'object' || data === null || !('error' in data)) {
    return false;
  }
  const error = (data as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/** What Grafana's data proxy answers, as a 400, when the backend answered 401 (the key was refused). */
const PROXY_AUTH_FAILED = 'Authentication to data source failed';

function proxyAuthFailed(data: unknown): boolean {
  const text = typeof data === 'string' ? data : typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof text === 'string' && text.trim() === PROXY_AUTH_FAILED;
}

/** The coded error behind a failed fetch. */
export function toRequestError(error: unknown, url: string): PanecastRequestError {
  if (error instanceof PanecastRequestError) {
    return error;
  }
  if (isFetchError(error)) {
    if (isErrorBody(error.data)) {
      return new PanecastRequestError(error.data.error.code, error.data.error.message, error.status);
    }
    if (error.status === 400 && proxyAuthFailed(error.data)) {
      return new PanecastRequestError('PANECAST_ERR_CLIENT_AUTH', formatClientMessage('PANECAST_ERR_CLIENT_AUTH', { detail: `Grafana: ${PROXY_AUTH_FAILED}` }), 400);
    }
    // Status 0 / -1: no answer at all (refused, DNS). 502/504: Grafana's proxy got none from the backend.
    if (error.status === undefined || error.status <= 0 || error.status === 502 || error.status === 504) {
      const detail = error.status === 502 || error.status === 504 ? `the data proxy answered ${error.status} ${error.statusText || ''}`.trim() : error.statusText || 'no response';
      return new PanecastRequestError('PANECAST_ERR_CLIENT_UNREACHABLE', formatClientMessage('PANECAST_ERR_CLIENT_UNREACHABLE', { url, detail }), error.status);
    }
    return new PanecastRequestError('PANECAST_ERR_CLIENT_HTTP', formatClientMessage('PANECAST_ERR_CLIENT_HTTP', { url, status: error.status }), error.status);
  }
  const detail = error instanceof Error ? error.message : String(error);
  return clientError('PANECAST_ERR_CLIENT_UNREACHABLE', { url, detail });
}

/**
 * Where the datasource's HTTP goes: `${proxyUrl}/panecast`, or the configuration problem that
 * stops it (no backend URL for the proxy to forward to; no proxy URL, i.e. not `access: proxy`).
 */
export function proxyBase(proxyUrl: string | undefined, backendUrl: string | undefined): { base: string; problem?: PanecastRequestError } {
  if ((backendUrl ?? '').trim() === '') {
    return { base: '', problem: clientError('PANECAST_ERR_CLIENT_NO_URL') };
  }
  if ((proxyUrl ?? '').trim() === '') {
    return { base: '', problem: clientError('PANECAST_ERR_CLIENT_NO_PROXY') };
  }
  return { base: `${(proxyUrl as string).trim().replace(/\/+$/, '')}/${PROXY_ROUTE}` };
}

export class BackendApi {
  /**
   * `base`: the data proxy route without a trailing slash; empty while `problem` (a
   * configuration error every request then fails with) is set.
   */
  constructor(
    readonly base: string,
    readonly problem?: PanecastRequestError,
  ) {}

  private request<T>(method: 'GET' | 'POST', path: string, params?: Record<string, string>): Observable<T> {
    if (this.problem !== undefined) {
      return throwError(() => this.problem);
    }
    const url = `${this.base}${path}`;
    // showErrorAlert: false: failures are reported on the panel and in Save & test, not as toasts.
    return getBackendSrv()
      .fetch<T>({ url, method, params, showErrorAlert: false, showSuccessAlert: false })
      .pipe(
        map((response: FetchResponse<T>) => {
          if (isErrorBody(response.data)) {
            throw new PanecastRequestError(response.data.error.code, response.data.error.message, response.status);
          }
          return response.data;
        }),
        catchError((error: unknown) => throwError(() => toRequestError(error, url))),
      );
  }

  catalogue(): Observable<MetricCatalogue> {
    return this.request<MetricCatalogue>('GET', '/v1/metrics');
  }

  history(params: Record<string, string>): Observable<QueryAnswer> {
    return this.request<QueryAnswer>('GET', '/v1/history', params);
  }

  /** `narrow`: further parameters of the route, `filter.<dimension>` (built by filterParams), `from`, `to`. */
  dimensionValues(metric: string, dimension: string, narrow: Record<string, string> = {}): Observable<DimensionValues> {
    return this.request<DimensionValues>('GET', '/v1/dimensions', { ...narrow, metric, dimension });
  }

  /** A fresh live-channel token for the API key's tenant. */
  liveToken(): Observable<LiveToken> {
    return this.request<LiveToken>('POST', '/v1/live/token');
  }
}
