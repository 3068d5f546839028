/**
 * The HTTP surface with auth on (PANECAST_AUTH=on), route by route: what an
 * unauthenticated caller, a wrong credential and another tenant's key get.
 * Only the probes (`/healthz`, `/readyz`) and the live page stay open; every
 * answer that names metrics or counts their events needs a read key and
 * names only the key's tenant's metrics.
 */
import type { App } from '../../src/app';
import { startQuietApp, uniqueType, waitFor } from '../support';
import { startTenantApp, type TenantApp } from './tenant-app';

const SECRET = 'http-surface-test-secret-0123456789abcdef';
const READ_DEFAULT = 'surface-read-default-0123';
const READ_ACME = 'surface-read-acme-012345';
const WRITE_ACME = 'surface-write-acme-01234';

let app: App;
let tenants: TenantApp;

beforeAll(async () => {
  tenants = await startTenantApp('acme__secret_launch', {
    PANECAST_TOKEN_SECRETS: SECRET,
    PANECAST_READ_KEYS: `default:${READ_DEFAULT},acme:${READ_ACME}`,
    PANECAST_API_KEYS: `acme:${WRITE_ACME}`,
  });
  app = tenants.app;
  // Some acme traffic, processed, so the figures have something to tell.
  const sent = await fetch(`${app.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_ACME}` },
    body: JSON.stringify([{ type: uniqueType('surface') }, { type: uniqueType('surface') }]),
  });
  expect(sent.status).toBe(202);
  await waitFor(() => (app.processor.snapshot().consumed >= 1 ? true : undefined), 'the processor consumed the acme batch');
});

afterAll(async () => {
  await tenants.stop();
});

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

async function call(path: string, authorization?: string, method = 'GET'): Promise<Answer> {
  const response = await fetch(`${app.url}${path}`, { method, headers: authorization === undefined ? {} : { authorization } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

describe('GET /v1/stats', () => {
  it('refuses a request without a read key', async () => {
    const answer = await call('/v1/stats');
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text).error.code).toBe('PANECAST_ERR_READ_KEY_MISSING');
    expect(answer.text).not.toContain('acme__secret_launch');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="panecast"');
  });

  it.each([
    ['an unknown key', 'Bearer surface-not-a-key-0123456'],
    ['a collector (write) key', `Bearer ${WRITE_ACME}`],
  ])('refuses %s', async (_what, authorization) => {
    const answer = await call('/v1/stats', authorization);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text).error.code).toBe('PANECAST_ERR_READ_KEY_INVALID');
  });

  it("names only the reader's tenant's metrics", async () => {
    const theirs = await call('/v1/stats', `Bearer ${READ_DEFAULT}`);
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get('cache-control')).toBe('no-store');
    expect(theirs.text).not.toContain('acme__secret_launch');
    const stats = JSON.parse(theirs.text) as { engines: Array<{ metrics: Record<string, unknown> }>; processor: { overflowEvents: Record<string, number> } };
    expect(stats.engines.length).toBeGreaterThan(0);
    for (const engine of stats.engines) {
      expect(Object.keys(engine.metrics)).toEqual(['events']);
    }
    expect(Object.keys(stats.processor.overflowEvents).filter((name) => name !== 'events')).toEqual([]);

    const own = JSON.parse((await call('/v1/stats', `Bearer ${READ_ACME}`)).text) as { engines: Array<{ metrics: Record<string, { series: number }> }> };
    expect(own.engines.some((engine) => (engine.metrics.acme__secret_launch?.series ?? 0) > 0)).toBe(true);
    for (const engine of own.engines) {
      expect(Object.keys(engine.metrics)).toEqual(['acme__secret_launch']);
    }
  });
});

describe('the routes that stay open', () => {
  it('answers the probes and the live page without a key, naming no metric', async () => {
    for (const path of ['/healthz', '/readyz', '/']) {
      const answer = await call(path);
      expect([path, answer.status]).toEqual([path, 200]);
      expect(answer.text).not.toContain('acme__secret_launch');
    }
  });

  it('answers an unknown route or method with the stable codes, echoing no credential', async () => {
    const unknown = await call('/v1/nothing', `Bearer ${READ_ACME}`);
    expect([unknown.status, JSON.parse(unknown.text).error.code]).toEqual([404, 'PANECAST_ERR_NOT_FOUND']);
    expect(unknown.text).not.toContain(READ_ACME);
    const wrongMethod = await call('/v1/stats', `Bearer ${READ_ACME}`, 'DELETE');
    expect([wrongMethod.status, JSON.parse(wrongMethod.text).error.code]).toEqual([405, 'PANECAST_ERR_METHOD_NOT_ALLOWED']);
  });
});

describe('with auth off (the embedded default)', () => {
  let open: App;

  beforeAll(async () => {
    open = await startQuietApp({ PANECAST_METRICS_DIR: tenants.metricsDir });
    // Engines exist per partition once it has events.
    const sent = await fetch(`${open.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: uniqueType('open') }) });
    expect(sent.status).toBe(202);
    await waitFor(() => (open.processor.snapshot().consumed >= 1 ? true : undefined), 'the processor consumed the event');
  });

  afterAll(async () => {
    await open.stop();
  });

  it('serves /v1/stats without a key, over every metric', async () => {
    const response = await fetch(`${open.url}/v1/stats`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as { engines: Array<{ metrics: Record<string, unknown> }> };
    expect(stats.engines.length).toBeGreaterThan(0);
    expect(Object.keys(stats.engines[0]?.metrics ?? {}).sort()).toEqual(['acme__secret_launch', 'events']);
  });
});
