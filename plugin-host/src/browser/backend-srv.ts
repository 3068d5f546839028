/**
 * `getBackendSrv()` for the plugins: `fetch` is a cold Observable over the
 * browser's fetch, as in Grafana — nothing is sent until subscribed,
 * unsubscribing aborts the request, one value then complete on 2xx, a
 * `FetchError` ({ status, statusText, data, config }) otherwise. A new request
 * with the `requestId` of one still running cancels the older one, which is
 * how Grafana drops superseded panel queries.
 *
 * Not emulated: retries after a 401 (no login here), success/error toasts
 * (`showSuccessAlert`/`showErrorAlert`), the request inspector, `chunked()`.
 * Requests go where their URL says; the data proxy path
 * (`/api/datasources/proxy/uid/<uid>/…`) is served by the host's dev server.
 */
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { Observable, lastValueFrom } from 'rxjs';

function buildUrl(options: BackendSrvRequest): string {
  const params = options.params ?? {};
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) {
      continue;
    }
    for (const one of Array.isArray(value) ? value : [value]) {
      search.append(key, String(one));
    }
  }
  const query = search.toString();
  if (query === '') {
    return options.url;
  }
  return options.url + (options.url.includes('?') ? '&' : '?') + query;
}

function buildBody(data: unknown): { body?: BodyInit; json: boolean } {
  if (data === undefined || data === null) {
    return { json: false };
  }
  if (typeof data === 'string' || data instanceof FormData || data instanceof Blob || data instanceof URLSearchParams || data instanceof ArrayBuffer) {
    return { body: data, json: false };
  }
  return { body: JSON.stringify(data), json: true };
}

async function readData(response: Response, responseType: BackendSrvRequest['responseType']): Promise<unknown> {
  switch (responseType) {
    case 'text':
      return response.text();
    case 'blob':
      return response.blob();
    case 'arraybuffer':
      return response.arrayBuffer();
    default: {
      // Grafana parses JSON when it can and keeps the text otherwise.
      const text = await response.text();
      if (text === '') {
        return undefined;
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    }
  }
}

export class HostBackendSrv implements BackendSrv {
  private readonly inFlight = new Map<string, AbortController>();

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      if (options.requestId !== undefined) {
        this.inFlight.get(options.requestId)?.abort();
        this.inFlight.set(options.requestId, controller);
      }
      options.abortSignal?.addEventListener('abort', () => controller.abort());
      const { body, json } = buildBody(options.data);
      const headers = new Headers(options.headers ?? {});
      if (json && !headers.has('content-type')) {
        headers.set('content-type', 'application/json');
      }
      if (!headers.has('accept')) {
        headers.set('accept', 'application/json, text/plain, */*');
      }
      const done = () => {
        if (options.requestId !== undefined && this.inFlight.get(options.requestId) === controller) {
          this.inFlight.delete(options.requestId);
        }
      };
      fetch(buildUrl(options), {
        method: (options.method ?? 'GET').toUpperCase(),
        headers,
        body,
        signal: controller.signal,
        credentials: options.credentials ?? (options.withCredentials === true ? 'include' : 'same-origin'),
      })
        .then(async (response) => {
          const data = (await readData(response, options.responseType)) as T;
          done();
          if (!response.ok) {
            const error: FetchError<T> = { status: response.status, statusText: response.statusText, data, config: options };
            subscriber.error(error);
            return;
          }
          subscriber.next({
            data,
            status: response.status,
            statusText: response.statusText,
            ok: response.ok,
            headers: response.headers,
            redirected: response.redirected,
            type: response.type,
            url: response.url,
            config: options,
          });
          subscriber.complete();
        })
        .catch((reason: unknown) => {
          done();
          if (controller.signal.aborted) {
            // Grafana reports a cancelled request this way (status -1, cancelled).
            subscriber.error({ status: -1, statusText: 'Request was aborted', data: null, cancelled: true, config: options });
            return;
          }
          const message = reason instanceof Error ? reason.message : String(reason);
          // No HTTP answer at all (connection refused, reset): status 0 stands for
          // "no response", the browser's own convention for a failed fetch.
          subscriber.error({ status: 0, statusText: message, data: { message }, config: options });
        });
      return () => {
        if (!controller.signal.aborted) {
          controller.abort();
        }
      };
    });
  }

  /** What Grafana's runRequest calls when a panel query is unsubscribed. */
  resolveCancelerIfExists(requestId: string): void {
    this.inFlight.get(requestId)?.abort();
    this.inFlight.delete(requestId);
  }

  async request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return (await lastValueFrom(this.fetch<T>(options))).data;
  }

  async datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  get<T = unknown>(url: string, params?: Record<string, unknown>, requestId?: string, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, params, requestId, method: 'GET' });
  }

  delete<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'DELETE' });
  }

  post<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'POST' });
  }

  patch<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'PATCH' });
  }

  put<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'PUT' });
  }

  chunked(): Observable<FetchResponse<Uint8Array | undefined>> {
    throw new Error('plugin host: getBackendSrv().chunked() is not emulated');
  }
}
