/**
 * Grafana's data proxy, as far as a frontend datasource can tell:
 * `/api/datasources/proxy/uid/<uid>/<path>` is forwarded from the server, so
 * the page needs no CORS and never holds a credential.
 * - The first of the plugin's `routes` (plugin.json) whose `path` starts the
 *   request path (and whose `method`, if any, matches) decides the target:
 *   its `url` plus the rest of the path, with its `headers` added. `{{ .JsonData.x }}`,
 *   `{{ .SecureJsonData.x }}` and `{{ .URL }}` are filled from the datasource as the
 *   server holds it; a missing field prints `<no value>`, as Go templates do.
 *   Without a matching route the target is the datasource's own `url`.
 * - Cookies, the page's Origin and Referer and any Authorization it sent are
 *   not forwarded; hop-by-hop headers neither (RFC 9110 §7.6.1).
 * - A 401 from the target becomes 400 `Authentication to data source failed`
 *   (text, no headers), which is all the page learns of a refused key; no
 *   answer at all becomes 502. Set-Cookie never reaches the page.
 * Not emulated: OAuth token routes (`tokenAuth`, `jwtTokenAuth`), RBAC
 * actions, TLS settings, `X-DS-Authorization`.
 */
import { type IncomingMessage, type ServerResponse, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DatasourceRecord, PluginRoute } from './provisioning';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);
/** Request headers the proxy drops, besides hop-by-hop ones. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'cookie', 'origin', 'referer', 'authorization']);
const AUTH_FAILED = 'Authentication to data source failed';
/** The host's page user is an anonymous Viewer, as in the demo. */
const VIEWER_ROLES = new Set(['', 'Viewer']);

/** Where one proxied request goes, or the error the proxy answers instead. */
export type ProxyPlan = { target: URL; headers: Record<string, string> } | { status: number; message: string };

function fill(template: string, record: DatasourceRecord): string {
  return template.replace(/\{\{\s*\.(URL|JsonData\.(\w+)|SecureJsonData\.(\w+))\s*\}\}/g, (_whole, field: string, json?: string, secure?: string) => {
    const value = json !== undefined ? record.jsonData[json] : secure !== undefined ? record.secureJsonData[secure] : record.url;
    return value === undefined || value === null ? '<no value>' : String(value);
  });
}

/** Relative path without leading or duplicate slashes, as Grafana compares them (util.CleanRelativePath). */
function clean(path: string): string {
  return path.split('/').filter((part) => part !== '' && part !== '.').join('/');
}

function joinPath(base: string, rest: string): string {
  const tail = clean(rest);
  return `${base.replace(/\/+$/, '')}/${tail}${rest.endsWith('/') && tail !== '' ? '/' : ''}`;
}

/** The target of `method proxyPath` (the path after the datasource uid) for `record`, whose plugin has `routes`. */
export function planProxy(record: DatasourceRecord, routes: readonly PluginRoute[], method: string, proxyPath: string): ProxyPlan {
  const path = clean(proxyPath);
  const route = routes.find((r) => (r.method === undefined || r.method === '' || r.method === '*' || r.method === method) && path.startsWith(clean(r.path)));
  if (route !== undefined && !VIEWER_ROLES.has(route.reqRole ?? '')) {
    return { status: 403, message: 'plugin proxy route access denied' };
  }
  const base = route?.url !== undefined && route.url !== '' ? fill(route.url, record) : record.url;
  let target: URL;
  try {
    target = new URL(base ?? '');
  } catch {
    return { status: 502, message: `Bad Gateway: the datasource URL "${base ?? ''}" is not a URL` };
  }
  const rest = route === undefined ? path : path.slice(clean(route.path).length);
  target.pathname = joinPath(target.pathname, rest);
  const headers: Record<string, string> = {};
  for (const header of route?.headers ?? []) {
    headers[header.name.toLowerCase()] = fill(header.content, record);
  }
  return { target, headers };
}

function answer(response: ServerResponse, status: number, body: string, type: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** Forwards `request` as `plan` says and answers the page the way Grafana's proxy does. */
export function forward(plan: ProxyPlan, search: string, request: IncomingMessage, response: ServerResponse): void {
  if (!('target' in plan)) {
    answer(response, plan.status, JSON.stringify({ message: plan.message }), 'application/json; charset=utf-8');
    request.resume();
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) {
      headers[name] = value;
    }
  }
  Object.assign(headers, plan.headers, { host: plan.target.host });
  const send = plan.target.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send(
    { protocol: plan.target.protocol, hostname: plan.target.hostname, port: plan.target.port, method: request.method, path: `${plan.target.pathname}${search}`, headers },
    (reply) => {
      if (reply.statusCode === 401) {
        reply.resume();
        answer(response, 400, AUTH_FAILED, 'text/plain; charset=utf-8');
        return;
      }
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(reply.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'set-cookie') {
          out[name] = value;
        }
      }
      response.writeHead(reply.statusCode ?? 502, reply.statusMessage, out);
      reply.pipe(response);
    },
  );
  upstream.on('error', (error) => answer(response, 502, JSON.stringify({ message: `Bad Gateway: ${error.message}` }), 'application/json; charset=utf-8'));
  request.pipe(upstream);
}
