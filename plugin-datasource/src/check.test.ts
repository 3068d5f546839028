import { DataSource, type PanecastInstanceSettings } from './datasource';
import { FakeBackend, installFakeBackend } from './test-support/fake-backend';
import { FakeLiveServer, type FakeLiveServerOptions } from './test-support/fake-live-server';

function settings(url: string, token?: string): PanecastInstanceSettings {
  return {
    uid: 'panecast',
    type: 'panecast-live-datasource',
    name: 'Panecast',
    access: 'direct',
    readOnly: false,
    jsonData: { url },
    meta: {} as PanecastInstanceSettings['meta'],
    ...(token !== undefined ? { secureJsonData: { token } } : {}),
  };
}

describe('testDatasource (Save & test)', () => {
  let backend: FakeBackend;

  beforeEach(() => {
    backend = installFakeBackend(new FakeBackend());
  });

  async function check(options: FakeLiveServerOptions, token?: string, url = 'http://backend.test:8080') {
    const server = new FakeLiveServer(options);
    const ds = new DataSource(settings(url, token), { socket: server.socket });
    return { result: await ds.testDatasource(), server };
  }

  it('succeeds when the backend answers, the gateway speaks version 2 and takes the token', async () => {
    const { result, server } = await check({ tokens: ['good'] }, 'good');
    expect(result).toEqual({ status: 'success', message: 'Backend reachable; live protocol v2 (gateway fake-1); token accepted' });
    expect(backend.calls('/healthz')).toHaveLength(1);
    expect(server.framesOf('hello')).toEqual([{ type: 'hello', version: 2, token: 'good' }]);
    expect(server.openConnections).toHaveLength(0);
  });

  it('says when no token is configured and the gateway runs without auth', async () => {
    const { result } = await check({});
    expect(result.status).toBe('success');
    expect(result.message).toMatch(/no token configured/);
  });

  it('asks for a URL when none is set', async () => {
    const { result } = await check({}, undefined, '');
    expect(result).toEqual({ status: 'error', message: 'Configuration: [PANECAST_ERR_CLIENT_NO_URL] No backend URL is configured: enter the backend URL, e.g. http://127.0.0.1:8080' });
  });

  it('reports an unreachable backend', async () => {
    backend.failures['/healthz'] = { status: 0, statusText: 'Failed to fetch' };
    const { result } = await check({});
    expect(result).toEqual({
      status: 'error',
      message: 'Backend not reachable: [PANECAST_ERR_CLIENT_UNREACHABLE] The backend at http://backend.test:8080/healthz did not answer: Failed to fetch',
    });
  });

  it('reports a refused token with the gateway code', async () => {
    const { result } = await check({ tokens: ['good'] }, 'forged');
    expect(result).toEqual({ status: 'error', message: 'Token refused: [PANECAST_ERR_TOKEN_SIGNATURE] The token signature does not match any current key' });
  });

  it('reports a gateway that speaks another protocol version', async () => {
    const { result } = await check({ welcomeVersion: 1 });
    expect(result).toEqual({ status: 'error', message: 'Live protocol mismatch: [PANECAST_ERR_CLIENT_VERSION] The gateway speaks protocol version 1; this client speaks 2' });
  });

  it('reports a live channel that cannot be opened', async () => {
    const { result } = await check({ unreachable: true });
    expect(result).toEqual({
      status: 'error',
      message: 'Live channel not available: [PANECAST_ERR_CLIENT_SOCKET] The live channel at ws://backend.test:8080/v1/live closed with code 1006 before the welcome',
    });
  });
});
