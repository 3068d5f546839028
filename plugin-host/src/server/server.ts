/**
 * The host's dev server: the host page and bundle, both plugins' dist/
 * folders under Grafana's URL layout (/public/plugins/<id>/), the provisioned
 * dashboards and datasources, and Grafana's data proxy for them
 * (data-proxy.ts). The datasources are read from provisioning/ with the
 * environment Grafana would have (`env`), on every request, so a test can set
 * it once the backend's address is known. WebSockets are not proxied: the
 * Panecast datasource opens its live channel at the browser-side live URL,
 * straight to the gateway, as in Grafana. Loopback only; `port: 0` picks a free port.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { forward, planProxy } from './data-proxy';
import {
  DATASOURCE_PROXY_PREFIX,
  browserDatasources,
  dashboardNames,
  pluginMetas,
  pluginRoutes,
  readDatasources,
  readPluginDirs,
  type Environment,
} from './provisioning';

export interface HostServerOptions {
  /** Repository root (holds plugin-*, provisioning/ and plugin-host/). */
  root: string;
  /**
   * The environment Grafana would have: provisioning/datasources/*.yaml read
   * `${PANECAST_URL}`, `${PANECAST_LIVE_URL}`, `${PANECAST_READ_KEY}` from it.
   * Default: this process's.
   */
  env?: Environment;
  port?: number;
  host?: string;
}

export interface HostServer {
  url: string;
  /** Replaces the environment the provisioning is read with (e.g. once the backend's port is known). */
  setEnvironment(env: Environment): void;
  /** `METHOD /path` of the requests the data proxy forwarded, in order (the newest 10,000). */
  readonly proxied: readonly string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
};

/** The newest proxied requests kept for tests; a long `serve` must not grow without bound. */
const PROXIED_LOG_LIMIT = 10_000;

function send(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}

function sendJson(response: ServerResponse, body: unknown): void {
  send(response, 200, JSON.stringify(body), TYPES['.json']);
}

/** Serves `rest` from `folder`, refusing paths that leave it. */
function serveFile(response: ServerResponse, folder: string, rest: string): void {
  const file = normalize(join(folder, decodeURIComponent(rest)));
  if (!file.startsWith(folder + sep) || !existsSync(file) || !statSync(file).isFile()) {
    send(response, 404, `not found: ${rest}`);
    return;
  }
  response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(response);
}

/** `[uid, path after it]` of a data proxy URL, or undefined for any other URL. */
function proxiedPath(path: string): [string, string] | undefined {
  if (!path.startsWith(DATASOURCE_PROXY_PREFIX)) {
    return undefined;
  }
  const afterUid = path.indexOf('/', DATASOURCE_PROXY_PREFIX.length);
  const uid = decodeURIComponent(path.slice(DATASOURCE_PROXY_PREFIX.length, afterUid < 0 ? undefined : afterUid));
  return [uid, afterUid < 0 ? '' : path.slice(afterUid + 1)];
}

export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const { root } = options;
  const hostDir = join(root, 'plugin-host');
  const dirs = readPluginDirs(root);
  const routes = pluginRoutes(dirs);
  let env: Environment = options.env ?? process.env;
  const proxiedLog: string[] = [];
  const open = new Set<Socket | Duplex>();

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const path = url.pathname;
    const proxied = proxiedPath(path);
    if (proxied !== undefined) {
      const [uid, rest] = proxied;
      const record = readDatasources(root, dirs, env).find((candidate) => candidate.uid === uid);
      if (record === undefined) {
        send(response, 404, JSON.stringify({ message: 'Data source not found' }), TYPES['.json']);
        return;
      }
      proxiedLog.push(`${request.method ?? 'GET'} /${rest}`);
      if (proxiedLog.length > PROXIED_LOG_LIMIT) {
        proxiedLog.splice(0, proxiedLog.length - PROXIED_LOG_LIMIT);
      }
      forward(planProxy(record, routes.get(record.type) ?? [], request.method ?? 'GET', rest), url.search, request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, `method ${request.method} not allowed on ${path}`);
      return;
    }
    if (path === '/' || path === '/index.html') {
      send(response, 200, readFileSync(join(hostDir, 'public', 'index.html'), 'utf8'), TYPES['.html']);
    } else if (path === '/host/plugins.json') {
      sendJson(response, pluginMetas(dirs));
    } else if (path === '/host/dashboards.json') {
      sendJson(response, dashboardNames(root));
    } else if (path === '/host/datasources.json') {
      sendJson(response, browserDatasources(readDatasources(root, dirs, env)));
    } else if (path.startsWith('/host/dashboards/')) {
      serveFile(response, join(root, 'provisioning', 'dashboards'), path.slice('/host/dashboards/'.length));
    } else if (path.startsWith('/host/')) {
      serveFile(response, join(hostDir, 'dist', 'host'), path.slice('/host/'.length));
    } else if (path.startsWith('/public/build/')) {
      serveFile(response, join(hostDir, 'dist', 'public', 'build'), path.slice('/public/build/'.length));
    } else if (path.startsWith('/public/plugins/')) {
      const [id = '', ...rest] = path.slice('/public/plugins/'.length).split('/');
      const dir = dirs.find((candidate) => candidate.id === id);
      if (dir === undefined) {
        send(response, 404, `no plugin ${id}`);
      } else {
        serveFile(response, dir.dist, rest.join('/'));
      }
    } else {
      send(response, 404, `not found: ${path}`);
    }
  };

  const server: Server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      send(response, 500, error instanceof Error ? error.message : String(error));
    }
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => {
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    setEnvironment(next: Environment) {
      env = next;
    },
    proxied: proxiedLog,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
