/**
 * The host's dev server: the host page and bundle, both plugins' dist/
 * folders under Grafana's URL layout (/public/plugins/<id>/), the provisioned
 * dashboards and datasources, and the proxy to the Panecast backend
 * (HTTP + WebSocket). Loopback only; `port: 0` picks a free port.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  BACKEND_PROXY_PREFIX,
  DATASOURCE_PROXY_PREFIX,
  dashboardNames,
  pluginMetas,
  provisionedDatasources,
  readPluginDirs,
} from './provisioning';
import { type ProxyTarget, proxyHttp, proxyUpgrade } from './proxy';

export interface HostServerOptions {
  /** Repository root (holds plugin-*, provisioning/ and plugin-host/). */
  root: string;
  /** Panecast backend base URL, e.g. http://127.0.0.1:18080. */
  backendUrl: string;
  port?: number;
  host?: string;
}

export interface HostServer {
  url: string;
  /** Points the proxy at another backend address (e.g. after a restart on a new port). */
  setBackendUrl(url: string): void;
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

/** The backend path a proxied URL stands for, or undefined when the URL is not proxied. */
function proxiedPath(path: string): string | undefined {
  if (path.startsWith(BACKEND_PROXY_PREFIX)) {
    return path.slice(BACKEND_PROXY_PREFIX.length - 1);
  }
  if (path.startsWith(DATASOURCE_PROXY_PREFIX)) {
    const afterUid = path.indexOf('/', DATASOURCE_PROXY_PREFIX.length);
    return afterUid < 0 ? '/' : path.slice(afterUid);
  }
  return undefined;
}

export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const { root } = options;
  const hostDir = join(root, 'plugin-host');
  const dirs = readPluginDirs(root);
  let backend = new URL(options.backendUrl);
  const target: ProxyTarget = { current: () => backend };
  const open = new Set<Socket | Duplex>();

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const path = url.pathname;
    const proxied = proxiedPath(path);
    if (proxied !== undefined) {
      proxyHttp(target, proxied + url.search, request, response);
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
      // `?direct`: the datasource talks to the backend's own address, cross-origin, as it
      // would from a Grafana page; by default through the same-origin proxy.
      const viaProxy = `http://${request.headers.host ?? 'localhost'}${BACKEND_PROXY_PREFIX.slice(0, -1)}`;
      sendJson(response, provisionedDatasources(root, dirs, url.searchParams.has('direct') ? backend.href.replace(/\/$/, '') : viaProxy));
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
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const proxied = proxiedPath(url.pathname);
    if (proxied === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    proxyUpgrade(target, proxied + url.search, request, socket, head, open);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    setBackendUrl(next: string) {
      backend = new URL(next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
