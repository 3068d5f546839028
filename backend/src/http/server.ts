/**
 * The HTTP front: collector, health, stats and the live page. One small
 * router; the WebSocket gateway attaches to the same server for upgrades.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collector } from '../collect/collector';
import { formatFromContentType } from '../collect/parse';
import { PanecastError } from '../errors';
import { readBody } from './body';

export interface ReadinessCheck {
  name: string;
  ping(): Promise<void>;
}

export interface HttpDeps {
  collector: Collector;
  checks: readonly ReadinessCheck[];
  maxBodyBytes: number;
  /** The metric catalogue for `GET /v1/metrics`. */
  metrics: () => unknown;
  /** Window composition for `GET /v1/query`. */
  query: (params: URLSearchParams) => Promise<unknown>;
  /** Extra figures for `GET /v1/stats`. */
  stats: () => Record<string, unknown>;
  /** Folder of static pages (index.html). */
  publicDir: string;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: ServerResponse, error: PanecastError): void {
  if (error.code === 'PANECAST_ERR_BODY_TOO_LARGE') {
    // The rest of the body is not read: close the connection after answering.
    response.setHeader('connection', 'close');
  }
  sendJson(response, error.status, { error: error.toJSON() });
}

export function createHttpServer(deps: HttpDeps): Server {
  let page: string | undefined;

  const postEvents: Handler = async (request, response) => {
    const format = formatFromContentType(request.headers['content-type']);
    if (format === undefined) {
      throw new PanecastError('PANECAST_ERR_UNSUPPORTED_MEDIA_TYPE', { contentType: request.headers['content-type'] ?? '' });
    }
    const body = await readBody(request, deps.maxBodyBytes);
    const accepted = await deps.collector.ingest(body, format);
    sendJson(response, 202, { accepted });
  };

  const ready: Handler = async (_request, response) => {
    const results = await Promise.all(
      deps.checks.map(async (check) => {
        try {
          await check.ping();
          return [check.name, { ok: true }] as const;
        } catch (error) {
          return [check.name, { ok: false, error: (error as Error).message }] as const;
        }
      }),
    );
    const ok = results.every(([, result]) => result.ok);
    sendJson(response, ok ? 200 : 503, { ready: ok, checks: Object.fromEntries(results) });
  };

  const livePage: Handler = async (_request, response) => {
    page ??= await readFile(join(deps.publicDir, 'index.html'), 'utf8');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    response.end(page);
  };

  const routes: Record<string, Record<string, Handler>> = {
    '/v1/events': { POST: postEvents },
    '/healthz': { GET: async (_request, response) => sendJson(response, 200, { status: 'ok' }) },
    '/readyz': { GET: ready },
    '/v1/query': {
      GET: async (request, response) => sendJson(response, 200, await deps.query(new URL(request.url ?? '/', 'http://local').searchParams)),
    },
    '/v1/metrics': { GET: async (_request, response) => sendJson(response, 200, deps.metrics()) },
    '/v1/stats': { GET: async (_request, response) => sendJson(response, 200, deps.stats()) },
    '/': { GET: livePage },
  };

  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0] as string;
    const method = request.method ?? 'GET';
    const route = routes[path];
    const handler = route?.[method] ?? (method === 'HEAD' ? route?.GET : undefined);
    const run: Promise<void> =
      handler !== undefined
        ? handler(request, response)
        : Promise.reject(
            route === undefined
              ? new PanecastError('PANECAST_ERR_NOT_FOUND', { method, path })
              : new PanecastError('PANECAST_ERR_METHOD_NOT_ALLOWED', { method, path, allowed: Object.keys(route).join(', ') }),
          );
    run.catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof PanecastError) {
        sendError(response, error);
        return;
      }
      console.error(`http: ${method} ${path} failed`, error);
      sendError(response, new PanecastError('PANECAST_ERR_INTERNAL'));
    });
  });
}
