/**
 * The HTTP front: collector, health, stats and the live page. One small
 * router; the WebSocket gateway attaches to the same server for upgrades.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collector } from '../collect/collector';
import { tenantOfRequest } from '../collect/collector-auth';
import { IDEMPOTENCY_HEADER, idempotencyKeyOf } from '../collect/idempotency';
import { formatFromContentType } from '../collect/parse';
import { SENT_AT_HEADER, sentAtOf } from '../collect/sent-at';
import { PanecastError } from '../errors';
import type { ApiKeys } from '../live/auth';
import { BodyBudget, readBody } from './body';
import { sendJsonStreamed } from './json-stream';
import type { ReadAuth, Reader } from './read-auth';
import { ReadinessProbe, type ReadinessCheck } from './readiness';

export type { ReadinessCheck };

export interface HttpDeps {
  collector: Collector;
  /** Per-tenant collector keys; undefined: the collector is open (collect/collector-auth.ts). */
  apiKeys?: ApiKeys;
  checks: readonly ReadinessCheck[];
  maxBodyBytes: number;
  /** Bytes of request bodies all requests may hold while they are read (body.ts BodyBudget). */
  bodyMemoryBytes: number;
  /** Longest a request may take to arrive, headers and body; then the connection is closed. */
  requestTimeoutMs: number;
  /**
   * Who may read (http/read-auth.ts); undefined: reads are open and see every
   * metric. The read handlers below get the reader (undefined when open) and
   * answer for its tenant's metrics only.
   */
  readAuth?: ReadAuth;
  /** The metric catalogue for `GET /v1/metrics`. */
  metrics: (reader: Reader | undefined) => unknown;
  /** Window composition for `GET /v1/query`. */
  query: (params: URLSearchParams, reader: Reader | undefined) => Promise<unknown>;
  /** Any past range for `GET /v1/history` (query/history-query.ts). */
  history: (params: URLSearchParams, reader: Reader | undefined) => Promise<unknown>;
  /** Values of a dimension for `GET /v1/dimensions` (query/dimensions.ts). */
  dimensions: (params: URLSearchParams, reader: Reader | undefined) => Promise<unknown>;
  /** A live-channel token for the reader, for `POST /v1/live/token`; undefined: no live channel here, no route. */
  liveToken?: (reader: Reader | undefined) => unknown;
  /**
   * Extra figures for `GET /v1/stats`, as `reader` may see them: they name metrics, so with read
   * auth the route takes a read key like the other reads and per-metric figures are its tenant's.
   */
  stats: (reader: Reader | undefined) => Record<string, unknown>;
  /**
   * `GET /metrics` in Prometheus' text format (observe/exposition.ts), read like `/v1/stats`: a read
   * key when read auth is on, per-metric figures of its tenant only; undefined: no route.
   */
  exposition?: (reader: Reader | undefined) => Promise<{ contentType: string; text: string }>;
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
  if (error.code === 'PANECAST_ERR_BODY_TOO_LARGE' || error.code === 'PANECAST_ERR_BUSY') {
    // The rest of the body is not read: close the connection after answering.
    response.setHeader('connection', 'close');
  }
  if (error.code === 'PANECAST_ERR_BUSY') {
    response.setHeader('retry-after', '1');
  }
  sendJson(response, error.status, { error: error.toJSON() });
}

/** Node's request timeout (requestTimeout) ended this request: it destroys the socket with this error after writing 408. */
function timedOut(request: IncomingMessage): boolean {
  return (request.socket.errored as NodeJS.ErrnoException | null)?.code === 'ERR_HTTP_REQUEST_TIMEOUT';
}

/**
 * Browser pages on any origin may post events (the SDK): the collector reads
 * no cookies, so a page can only send with a key it was given.
 */
function allowCrossOrigin(response: ServerResponse): void {
  response.setHeader('access-control-allow-origin', '*');
  response.setHeader('access-control-expose-headers', 'retry-after');
}

export function createHttpServer(deps: HttpDeps): Server {
  let page: string | undefined;
  const bodies = new BodyBudget(deps.bodyMemoryBytes);
  const readiness = new ReadinessProbe(deps.checks, deps.readAuth);

  const postEvents: Handler = async (request, response) => {
    allowCrossOrigin(response);
    // Before the body is read: a request without a valid key costs nothing more.
    const tenant = tenantOfRequest(deps.apiKeys, request.headers.authorization);
    const idempotencyKey = idempotencyKeyOf(request.headers[IDEMPOTENCY_HEADER]);
    const sentAt = sentAtOf(request.headers[SENT_AT_HEADER]);
    const format = formatFromContentType(request.headers['content-type']);
    if (format === undefined) {
      throw new PanecastError('PANECAST_ERR_UNSUPPORTED_MEDIA_TYPE', { contentType: request.headers['content-type'] ?? '' });
    }
    const body = await readBody(request, deps.maxBodyBytes, bodies);
    const accepted = await deps.collector.ingest(body, format, { tenant, idempotencyKey, sentAt });
    sendJson(response, 202, { accepted });
  };

  /** The reader of a read route (undefined: reads are open); a refusal carries the Bearer challenge. */
  const readerOf = (request: IncomingMessage, response: ServerResponse): Reader | undefined => {
    try {
      return deps.readAuth?.authenticate(request.headers.authorization);
    } catch (error) {
      response.setHeader('www-authenticate', 'Bearer realm="panecast"');
      throw error;
    }
  };

  /**
   * A read route: the reader is known before anything is read. No CORS
   * headers: browsers read through Grafana's data proxy, which adds the key.
   */
  const read =
    (answer: (reader: Reader | undefined, params: URLSearchParams) => unknown): Handler =>
    async (request, response) => {
      const reader = readerOf(request, response);
      const body = await answer(reader, new URL(request.url ?? '/', 'http://local').searchParams);
      // Answers differ per key: no shared cache may keep one for another reader.
      response.setHeader('cache-control', 'no-store');
      // In pieces: an answer may hold millions of points (json-stream.ts says why).
      await sendJsonStreamed(response, 200, body);
    };

  /** A scrape: the read rule of `/v1/stats`, answered as text (a scraper wants no JSON). */
  const scrape =
    (expose: NonNullable<HttpDeps['exposition']>): Handler =>
    async (request, response) => {
      const answer = await expose(readerOf(request, response));
      response.writeHead(200, { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.text), 'cache-control': 'no-store' });
      response.end(answer.text);
    };

  /** Open to probes; a failing check's error text (hosts, ports) only with a read key (readiness.ts). */
  const ready: Handler = async (request, response) => {
    let reader: Reader | undefined;
    try {
      reader = readiness.readerOf(request.headers.authorization);
    } catch (error) {
      response.setHeader('www-authenticate', 'Bearer realm="panecast"');
      throw error;
    }
    const answer = await readiness.run(reader);
    response.setHeader('cache-control', 'no-store');
    sendJson(response, answer.ready ? 200 : 503, answer);
  };

  const livePage: Handler = async (_request, response) => {
    page ??= await readFile(join(deps.publicDir, 'index.html'), 'utf8');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    response.end(page);
  };

  const routes: Record<string, Record<string, Handler>> = {
    '/v1/events': {
      POST: postEvents,
      OPTIONS: async (_request, response) => {
        allowCrossOrigin(response);
        response.writeHead(204, {
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': `authorization, content-type, ${IDEMPOTENCY_HEADER}, ${SENT_AT_HEADER}`,
          'access-control-max-age': '600',
        });
        response.end();
      },
    },
    '/healthz': { GET: async (_request, response) => sendJson(response, 200, { status: 'ok' }) },
    '/readyz': { GET: ready },
    '/v1/query': { GET: read((reader, params) => deps.query(params, reader)) },
    '/v1/history': { GET: read((reader, params) => deps.history(params, reader)) },
    '/v1/dimensions': { GET: read((reader, params) => deps.dimensions(params, reader)) },
    '/v1/metrics': { GET: read((reader) => deps.metrics(reader)) },
    ...(deps.liveToken === undefined ? {} : { '/v1/live/token': { POST: read(deps.liveToken) } }),
    '/v1/stats': { GET: read((reader) => deps.stats(reader)) },
    ...(deps.exposition === undefined ? {} : { '/metrics': { GET: scrape(deps.exposition) } }),
    '/': { GET: livePage },
  };

  // Node closes a request that has not fully arrived in time (slow headers or body); its check runs
  // every connectionsCheckingInterval, so that is kept well under the timeout.
  const timeouts = {
    requestTimeout: deps.requestTimeoutMs,
    headersTimeout: Math.min(60_000, deps.requestTimeoutMs),
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(deps.requestTimeoutMs / 4))),
  };
  return createServer(timeouts, (request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0] as string;
    const method = request.method ?? 'GET';
    const route = routes[path];
    const handler = route?.[method] ?? (method === 'HEAD' ? route?.GET : undefined);
    // A 405 must say what is allowed in `Allow` (RFC 9110), HEAD included where GET is served.
    const allowed = route === undefined ? '' : [...Object.keys(route), ...(route.GET !== undefined && route.HEAD === undefined ? ['HEAD'] : [])].join(', ');
    if (handler === undefined && route !== undefined) {
      response.setHeader('allow', allowed);
    }
    const run: Promise<void> =
      handler !== undefined
        ? handler(request, response)
        : Promise.reject(
            route === undefined
              ? new PanecastError('PANECAST_ERR_NOT_FOUND', { method, path })
              : new PanecastError('PANECAST_ERR_METHOD_NOT_ALLOWED', { method, path, allowed }),
          );
    // The collector's refusals are counted here, where an error becomes its coded answer, so every
    // refusal is counted once whichever check threw it (before the body or after).
    const collecting = method === 'POST' && path === '/v1/events';
    run.catch((error: unknown) => {
      // Already answering, or the client went away mid-request (an aborted body): nobody to tell.
      if (response.headersSent || (request.destroyed && !(error instanceof PanecastError))) {
        if (collecting && timedOut(request)) {
          // Node answered 408 itself; a client that left on its own got no answer and is not counted.
          deps.collector.countRefusal('PANECAST_ERR_REQUEST_TIMEOUT');
        }
        response.destroy();
        return;
      }
      const answer = error instanceof PanecastError ? error : new PanecastError('PANECAST_ERR_INTERNAL');
      if (answer !== error) {
        console.error(`http: ${method} ${path} failed`, error);
      }
      if (collecting) {
        deps.collector.countRefusal(answer.code);
      }
      sendError(response, answer);
    });
  });
}
