/**
 * The host's emulation of Grafana's data proxy, against a recording upstream
 * standing in for the Panecast backend: the route of the datasource plugin's
 * own plugin.json decides the target and adds the read key from the
 * provisioned secureJsonData (environment filled in); the page never sees
 * the key, and learns of a refused key only what Grafana tells it.
 */
import { type IncomingMessage, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { planProxy } from '../src/server/data-proxy';
import { type DatasourceRecord, expandEnv } from '../src/server/provisioning';
import { type HostServer, startHostServer } from '../src/server/server';

const ROOT = join(__dirname, '..', '..');
const KEY = 'read-key-for-the-proxy-test';
const PROXY = '/api/datasources/proxy/uid/panecast';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let upstream: Server;
let upstreamUrl: string;
let host: HostServer;
const seen: Seen[] = [];
/** What the upstream answers next: status, headers, body. */
let reply: [number, Record<string, string>, string] = [200, { 'content-type': 'application/json' }, '{"ok":true}'];

beforeAll(async () => {
  upstream = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(reply[0], reply[1]);
      response.end(reply[2]);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  host = await startHostServer({ root: ROOT, env: { PANECAST_URL: upstreamUrl, PANECAST_LIVE_URL: 'ws://browser.test:8080/v1/live', PANECAST_READ_KEY: KEY } });
});

afterAll(async () => {
  await host.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  reply = [200, { 'content-type': 'application/json' }, '{"ok":true}'];
});

describe('the data proxy route', () => {
  it("forwards to jsonData.url with the key added on the server, and none of the page's credentials", async () => {
    const response = await fetch(`${host.url}${PROXY}/panecast/v1/history?metric=events&from=1`, {
      headers: { authorization: 'Bearer the-page-s-own', cookie: 'grafana_session=abc', origin: 'http://evil.test', referer: 'http://evil.test/x' },
    });
    expect([response.status, await response.json()]).toEqual([200, { ok: true }]);
    expect(seen).toHaveLength(1);
    const [request] = seen as [Seen];
    expect([request.method, request.url]).toEqual(['GET', '/v1/history?metric=events&from=1']);
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect([request.headers.cookie, request.headers.origin, request.headers.referer]).toEqual([undefined, undefined, undefined]);
    expect(request.headers.host).toBe(new URL(upstreamUrl).host);
    expect(host.proxied[host.proxied.length - 1]).toBe('GET /panecast/v1/history');
  });

  it('forwards a POST with its body', async () => {
    await fetch(`${host.url}${PROXY}/panecast/v1/live/token`, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
    expect(seen.map((s) => [s.method, s.url, s.body, s.headers.authorization])).toEqual([['POST', '/v1/live/token', '{"x":1}', `Bearer ${KEY}`]]);
  });

  it('turns a 401 into the 400 Grafana answers, and drops Set-Cookie', async () => {
    reply = [401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }, '{"error":{"code":"PANECAST_ERR_READ_KEY_INVALID"}}'];
    const refused = await fetch(`${host.url}${PROXY}/panecast/v1/metrics`);
    expect([refused.status, await refused.text(), refused.headers.get('www-authenticate')]).toEqual([400, 'Authentication to data source failed', null]);
    reply = [200, { 'content-type': 'application/json', 'set-cookie': 'a=b' }, '{}'];
    expect((await fetch(`${host.url}${PROXY}/panecast/v1/metrics`)).headers.get('set-cookie')).toBeNull();
  });

  it('answers 404 for an unknown datasource and 502 when the backend does not answer', async () => {
    expect((await fetch(`${host.url}/api/datasources/proxy/uid/nope/panecast/v1/metrics`)).status).toBe(404);
    host.setEnvironment({ PANECAST_URL: 'http://127.0.0.1:1', PANECAST_READ_KEY: KEY });
    try {
      expect((await fetch(`${host.url}${PROXY}/panecast/v1/metrics`)).status).toBe(502);
    } finally {
      host.setEnvironment({ PANECAST_URL: upstreamUrl, PANECAST_LIVE_URL: 'ws://browser.test:8080/v1/live', PANECAST_READ_KEY: KEY });
    }
  });

  it('does not proxy WebSockets: the live channel goes straight to the gateway', async () => {
    const { port } = new URL(host.url);
    const status = await new Promise<number | string>((resolve, reject) => {
      const upgrade = request({
        host: '127.0.0.1',
        port: Number(port),
        path: `${PROXY}/panecast/v1/live`,
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      upgrade.on('upgrade', () => resolve('upgraded'));
      upgrade.on('response', (response) => resolve(response.statusCode ?? 0));
      upgrade.on('error', reject);
      upgrade.end();
    });
    expect(status).toBe(404);
    expect(seen).toHaveLength(0);
  });
});

describe('the datasources the page gets', () => {
  it('are shaped as Grafana gives them: the proxy url, jsonData from the environment, no secureJsonData', async () => {
    const text = await (await fetch(`${host.url}/host/datasources.json`)).text();
    expect(text).not.toContain(KEY);
    const panecast = (JSON.parse(text) as Array<Record<string, unknown>>).find((d) => d.uid === 'panecast');
    expect(panecast).toEqual({
      uid: 'panecast',
      name: 'Panecast',
      type: 'panecast-live-datasource',
      access: 'proxy',
      isDefault: true,
      url: PROXY,
      jsonData: { url: upstreamUrl, liveUrl: 'ws://browser.test:8080/v1/live' },
    });
  });
});

describe('planProxy', () => {
  const record: DatasourceRecord = {
    uid: 'x',
    name: 'x',
    type: 't',
    access: 'proxy',
    isDefault: false,
    url: 'http://own.test/base',
    jsonData: { url: 'http://backend.test:8080/prefix/' },
    secureJsonData: { apiKey: 'k' },
  };
  const routes = [
    { path: 'admin', url: '{{ .JsonData.url }}', reqRole: 'Admin' },
    { path: 'panecast', method: 'GET', url: '{{ .JsonData.url }}', headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.apiKey }}' }] },
    { path: 'panecast', url: '{{ .JsonData.missing }}' },
  ];

  it('takes the first route whose path and method match, and fills its templates', () => {
    expect(planProxy(record, routes, 'GET', 'panecast/v1/metrics')).toEqual({ target: new URL('http://backend.test:8080/prefix/v1/metrics'), headers: { authorization: 'Bearer k' } });
    // A POST skips the GET-only route; the next one names a field that is not there, as Go templates print it.
    expect(planProxy(record, routes, 'POST', 'panecast/v1/live/token')).toEqual({ status: 502, message: 'Bad Gateway: the datasource URL "<no value>" is not a URL' });
  });

  it("falls back to the datasource's own url without a route, and keeps routes from viewers that need a role", () => {
    expect(planProxy(record, routes, 'GET', 'other/path')).toEqual({ target: new URL('http://own.test/base/other/path'), headers: {} });
    expect(planProxy(record, routes, 'GET', 'admin/x')).toEqual({ status: 403, message: 'plugin proxy route access denied' });
  });
});

describe('expandEnv', () => {
  it('fills $VAR and ${VAR} as Grafana provisioning does', () => {
    expect(expandEnv('${A}/$B/${MISSING}/$$C', { A: 'a', B: 'b' })).toBe('a/b//$C');
  });
});
