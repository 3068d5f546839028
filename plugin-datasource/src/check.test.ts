import { DataSource, type PanecastInstanceSettings } from './datasource';
import { BACKEND_URL, FakeBackend, PROXY_URL, READ_KEY, installFakeBackend } from './test-support/fake-backend';
import { FakeLiveServer, type FakeLiveServerOptions } from './test-support/fake-live-server';
import type { PanecastOptions } from './types';

const LIVE_URL = 'ws://live.test:8080/v1/live';

function settings(jsonData: Partial<PanecastOptions> = {}, url: string | undefined = PROXY_URL): PanecastInstanceSettings {
  return {
    uid: 'panecast',
    type: 'panecast-live-datasource',
    name: 'Panecast',
    access: 'proxy',
    ...(url !== undefined ? { url } : {}),
    readOnly: false,
    jsonData: { url: BACKEND_URL, liveUrl: LIVE_URL, ...jsonData },
    meta: {} as PanecastInstanceSettings['meta'],
  };
}

describe('testDatasource (Save & test)', () => {
  let backend: FakeBackend;

  beforeEach(() => {
    backend = installFakeBackend(new FakeBackend());
  });

  /** By default the gateway takes exactly the tokens the backend minted. */
  async function check(options: FakeLiveServerOptions = { tokens: backend.tokens }, instance = settings()) {
    const server = new FakeLiveServer(options);
    const urls: string[] = [];
    const ds = new DataSource(instance, { socket: (url, events) => (urls.push(url), server.socket(url, events)) });
    return { result: await ds.testDatasource(), server, urls };
  }

  it('succeeds through the proxy route with the key, mints a token and opens the live channel with it', async () => {
    const { result, server, urls } = await check();
    expect(result).toEqual({
      status: 'success',
      message: `Backend reachable through the data proxy (3 metrics); live token issued for tenant default; live protocol v2 at ${LIVE_URL} (gateway fake-1)`,
    });
    // Grafana's server added the key on both requests; the browser never had it.
    expect(backend.requests.map((r) => `${r.method} ${r.path} ${r.authorization}`)).toEqual([
      `GET /v1/metrics Bearer ${READ_KEY}`,
      `POST /v1/live/token Bearer ${READ_KEY}`,
    ]);
    expect(server.framesOf('hello')).toEqual([{ type: 'hello', version: 2, token: 'token-1' }]);
    expect(urls).toEqual([LIVE_URL]);
    expect(server.openConnections).toHaveLength(0);
  });

  it('derives the live URL from the backend URL when none is set', async () => {
    const { result, urls } = await check(undefined, settings({ liveUrl: '' }));
    expect(result.status).toBe('success');
    expect(urls).toEqual(['ws://backend.test:8080/v1/live']);
  });

  it('says when the backend runs without live auth', async () => {
    backend.readKey = undefined;
    const { result } = await check({});
    expect(result.status).toBe('success');
    expect(result.message).toMatch(/the gateway runs without auth/);
  });

  it('asks for a backend URL when none is set', async () => {
    const { result } = await check(undefined, settings({ url: '' }));
    expect(result).toEqual({
      status: 'error',
      message: 'Configuration: [PANECAST_ERR_CLIENT_NO_URL] No backend URL is configured: enter the backend URL as Grafana reaches it, e.g. http://backend:8080',
    });
    expect(backend.requests).toHaveLength(0);
  });

  it('asks for proxy access when Grafana gave no proxy URL', async () => {
    const { result } = await check(undefined, settings({}, ''));
    expect(result).toEqual({
      status: 'error',
      message: 'Configuration: [PANECAST_ERR_CLIENT_NO_PROXY] Grafana gave the datasource no data proxy URL: its access must be Server (proxy)',
    });
  });

  it('reports a key the backend refused, as Grafana reports it', async () => {
    backend.secureJsonData = { apiKey: 'not-the-read-key-0123' };
    const { result, server } = await check();
    expect(result).toEqual({
      status: 'error',
      message: 'API key refused: [PANECAST_ERR_CLIENT_AUTH] The backend refused the API key that Grafana sent for this datasource (Grafana: Authentication to data source failed)',
    });
    expect(server.connections).toHaveLength(0);
  });

  it('reports a backend the proxy cannot reach', async () => {
    backend.jsonData = { url: 'http://elsewhere.test:8080' };
    const { result } = await check();
    expect(result).toEqual({
      status: 'error',
      message: `Backend not reachable through the data proxy: [PANECAST_ERR_CLIENT_UNREACHABLE] The backend at ${PROXY_URL}/panecast/v1/metrics did not answer: the data proxy answered 502 Bad Gateway`,
    });
  });

  it('reports a token the backend would not mint', async () => {
    backend.failures['/v1/live/token'] = { status: 404, data: { error: { code: 'PANECAST_ERR_NOT_FOUND', message: 'No route for POST /v1/live/token' } } };
    const { result } = await check();
    expect(result).toEqual({ status: 'error', message: 'No live token: [PANECAST_ERR_NOT_FOUND] No route for POST /v1/live/token' });
  });

  it('reports a token the gateway refused, with the gateway code', async () => {
    const { result } = await check({ tokens: ['signed-with-another-secret'] });
    expect(result).toEqual({ status: 'error', message: 'Token refused: [PANECAST_ERR_TOKEN_SIGNATURE] The token signature does not match any current key' });
  });

  it('reports a gateway that speaks another protocol version', async () => {
    const { result } = await check({ tokens: backend.tokens, welcomeVersion: 1 });
    expect(result).toEqual({ status: 'error', message: 'Live protocol mismatch: [PANECAST_ERR_CLIENT_VERSION] The gateway speaks protocol version 1; this client speaks 2' });
  });

  it('reports a live channel that cannot be opened, naming the likely causes', async () => {
    const { result } = await check({ unreachable: true });
    expect(result).toEqual({
      status: 'error',
      message: `Live channel not available: [PANECAST_ERR_CLIENT_SOCKET] The live channel at ${LIVE_URL} closed with code 1006 before the welcome (is the live URL reachable from this browser, and does PANECAST_ALLOWED_ORIGINS admit this Grafana?)`,
    });
  });

  it('reports a live URL that is not one', async () => {
    const { result } = await check(undefined, settings({ liveUrl: 'ftp://live.test' }));
    expect(result).toEqual({ status: 'error', message: 'Configuration: [PANECAST_ERR_CLIENT_SOCKET] The live URL ftp://live.test is not a ws(s) or http(s) URL' });
  });
});
