/**
 * Reads with live auth on (PANECAST_AUTH=on): every read route and
 * POST /v1/live/token refuse a request without a valid read key, with stable
 * codes; a reader sees only its tenant's metrics, another tenant's metric
 * answering exactly like one that does not exist; a minted token carries the
 * key's tenant and a subject derived from the key, and opens the live
 * channel. With live auth off (the embedded default) reads stay open.
 */
import type { SubscribeQuery } from '@panecast/protocol';
import type { App } from '../../src/app';
import { verifyToken } from '../../src/live/auth';
import { openLiveClient, startQuietApp, uniqueType, waitFor } from '../support';
import { startTenantApp, type TenantApp } from './tenant-app';

const SECRET = 'read-auth-test-secret-0123456789abcdef';
const READ_DEFAULT = 'read-default-0123456789';
const READ_DEFAULT_2 = 'read-default-second-0123';
const READ_ACME = 'read-acme-0123456789abc';
const WRITE_ACME = 'write-acme-0123456789ab';
const TTL_S = 300;
const ACME_EVENTS: SubscribeQuery = { metric: 'acme__events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'] };

let app: App;
let tenants: TenantApp;

beforeAll(async () => {
  tenants = await startTenantApp('acme__events', {
    PANECAST_TOKEN_SECRETS: SECRET,
    PANECAST_READ_KEYS: `default:${READ_DEFAULT},acme:${READ_ACME},default:${READ_DEFAULT_2}`,
    PANECAST_API_KEYS: `acme:${WRITE_ACME}`,
    PANECAST_LIVE_TOKEN_TTL_MS: String(TTL_S * 1000),
  });
  app = tenants.app;
});

afterAll(async () => {
  await tenants.stop();
});

interface Answer {
  status: number;
  json: any;
  headers: Headers;
}

async function call(path: string, key?: string, init: { method?: string; authorization?: string } = {}): Promise<Answer> {
  const authorization = init.authorization ?? (key === undefined ? undefined : `Bearer ${key}`);
  const response = await fetch(`${app.url}${path}`, { method: init.method ?? 'GET', headers: authorization === undefined ? {} : { authorization } });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

const windowParams = (metric: string) => {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  return new URLSearchParams({ metric, aggregate: 'count', size: '1000', groupBy: 'type', from: String(to - 60_000), to: String(to) }).toString();
};

/** Every read route, with parameters that are valid for `metric`. */
const READS: Array<[name: string, path: (metric: string) => string, method: string]> = [
  ['GET /v1/metrics', () => '/v1/metrics', 'GET'],
  ['GET /v1/query', (metric) => `/v1/query?${windowParams(metric)}`, 'GET'],
  ['GET /v1/history', (metric) => `/v1/history?${windowParams(metric)}`, 'GET'],
  ['GET /v1/dimensions', (metric) => `/v1/dimensions?metric=${metric}&dimension=type`, 'GET'],
  ['POST /v1/live/token', () => '/v1/live/token', 'POST'],
];

describe('refusals', () => {
  it.each(READS)('%s without a key: 401 PANECAST_ERR_READ_KEY_MISSING', async (_name, path, method) => {
    const answer = await call(path('events'), undefined, { method });
    expect([answer.status, answer.json.error.code]).toEqual([401, 'PANECAST_ERR_READ_KEY_MISSING']);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="panecast"');
    // No CORS: browsers read through Grafana's data proxy.
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    // `Bearer` and nothing else (a Grafana datasource with no key saved) is a missing key too.
    expect((await call(path('events'), undefined, { method, authorization: 'Bearer ' })).json.error.code).toBe('PANECAST_ERR_READ_KEY_MISSING');
  });

  it.each([
    ['an unknown key', 'Bearer not-a-read-key-0123456789'],
    ['a collector (write) key', `Bearer ${WRITE_ACME}`],
    ['a key without the Bearer scheme', READ_ACME],
    ['another scheme', `Basic ${Buffer.from(`acme:${READ_ACME}`).toString('base64')}`],
  ])('refuses %s on every read route with 401 PANECAST_ERR_READ_KEY_INVALID', async (_what, authorization) => {
    for (const [name, path, method] of READS) {
      const answer = await call(path('events'), undefined, { method, authorization });
      expect([name, answer.status, answer.json.error.code]).toEqual([name, 401, 'PANECAST_ERR_READ_KEY_INVALID']);
    }
  });

  it('checks the key before the parameters', async () => {
    const answer = await call('/v1/query');
    expect(answer.json.error.code).toBe('PANECAST_ERR_READ_KEY_MISSING');
    expect((await call('/v1/query', READ_ACME)).status).toBe(400);
  });

  it('mints tokens on POST only', async () => {
    expect((await call('/v1/live/token', READ_ACME)).json.error.code).toBe('PANECAST_ERR_METHOD_NOT_ALLOWED');
  });

  it('leaves the probes open', async () => {
    expect((await call('/healthz')).status).toBe(200);
  });
});

describe('tenant scoping', () => {
  it("lists only the key's tenant's metrics", async () => {
    const names = async (key: string) => ((await call('/v1/metrics', key)).json.metrics as Array<{ name: string }>).map((m) => m.name);
    expect(await names(READ_ACME)).toEqual(['acme__events']);
    expect(await names(READ_DEFAULT)).toEqual(['events']);
    expect((await call('/v1/metrics', READ_ACME)).headers.get('cache-control')).toBe('no-store');
  });

  it.each(READS.slice(1, 4))("answers %s for another tenant's metric exactly as for an unknown one", async (_name, path) => {
    const theirs = await call(path('events'), READ_ACME);
    const unknown = await call(path('no_such_metric'), READ_ACME);
    expect(theirs.status).toBe(400);
    expect(theirs.json.error.code).toBe('PANECAST_ERR_QUERY_UNKNOWN_METRIC');
    // Same answer with the name swapped: nothing tells the metric exists.
    expect(theirs.json).toEqual({ error: { ...unknown.json.error, message: unknown.json.error.message.replace('"no_such_metric"', '"events"') } });
    expect(theirs.json.error.message).toBe('Unknown metric "events"; known metrics: acme__events');
    // And the other way round.
    expect((await call(path('acme__events'), READ_DEFAULT)).json.error.message).toBe('Unknown metric "acme__events"; known metrics: events');
  });

  it("serves the tenant's own data", async () => {
    const type = uniqueType('scoped');
    const sent = await fetch(`${app.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_ACME}` },
      body: JSON.stringify([{ type }, { type }, { type }]),
    });
    expect(sent.status).toBe(202);
    const count = async () => {
      const answer = await call(`/v1/query?${windowParams('acme__events')}&filter.type=${type}`, READ_ACME);
      return (answer.json.groups as Array<{ points: Array<{ value: number }> }>).flatMap((g) => g.points).reduce((sum, p) => sum + p.value, 0);
    };
    await waitFor(async () => ((await count()) === 3 ? true : undefined), 'acme count');
    expect((await call(`/v1/dimensions?metric=acme__events&dimension=type`, READ_ACME)).json.values).toContain(type);
  });
});

describe('POST /v1/live/token', () => {
  it("mints a token for the key's tenant, signed with the first secret, with the configured lifetime", async () => {
    const before = Date.now();
    const answer = await call('/v1/live/token', READ_ACME, { method: 'POST' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const { token, expiresAt, tenant } = answer.json as { token: string; expiresAt: number; tenant: string };
    expect(tenant).toBe('acme');
    const verified = verifyToken(token, [SECRET], Date.now());
    if (!verified.ok) {
      throw new Error(`the minted token does not verify: ${verified.code}`);
    }
    expect(verified.claims.tenant).toBe('acme');
    expect(verified.claims.exp - verified.claims.iat).toBe(TTL_S);
    expect(expiresAt).toBe(verified.claims.exp * 1000);
    expect(verified.claims.iat * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    // The subject stands for the key without naming it, in the token or anywhere in the answer.
    expect(verified.claims.sub).toMatch(/^key-[0-9a-f]{16}$/);
    expect(JSON.stringify(answer.json)).not.toContain(READ_ACME);
    expect(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).not.toContain(READ_ACME);
  });

  it('gives one key one subject, and two keys of a tenant two; every token its own id', async () => {
    const claims = async (key: string) => {
      const verified = verifyToken((await call('/v1/live/token', key, { method: 'POST' })).json.token, [SECRET], Date.now());
      if (!verified.ok) {
        throw new Error(verified.code);
      }
      return verified.claims;
    };
    const first = await claims(READ_DEFAULT);
    const again = await claims(READ_DEFAULT);
    expect(again.sub).toBe(first.sub);
    expect((await claims(READ_DEFAULT_2)).sub).not.toBe(first.sub);
    // Connection limits count per token id (auth.ts connectionKey): two viewers of one key are apart.
    expect(first.jti).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(again.jti).not.toBe(first.jti);
  });

  it("opens the live channel for the tenant's metrics", async () => {
    const { token } = (await call('/v1/live/token', READ_ACME, { method: 'POST' })).json as { token: string };
    const client = await openLiveClient(app.url, { token, query: ACME_EVENTS });
    try {
      const welcome = client.messages.find((m) => m.type === 'welcome');
      expect(welcome).toBeDefined();
      const type = uniqueType('live');
      const sent = await fetch(`${app.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_ACME}` },
        body: JSON.stringify([{ type }, { type }]),
      });
      expect(sent.status).toBe(202);
      await waitFor(() => (client.total(type) === 2 ? true : undefined), 'two acme events over the live channel');
    } finally {
      client.close();
    }
  });
});

describe('with live auth off (the embedded default)', () => {
  let open: App;

  beforeAll(async () => {
    open = await startQuietApp({ PANECAST_METRICS_DIR: tenants.metricsDir });
  });

  afterAll(async () => {
    await open.stop();
  });

  it('reads need no key and see every metric; the token route says the gateway takes any token', async () => {
    const metrics = (await (await fetch(`${open.url}/v1/metrics`)).json()) as { metrics: Array<{ name: string }> };
    expect(metrics.metrics.map((m) => m.name).sort()).toEqual(['acme__events', 'events']);
    const minted = await fetch(`${open.url}/v1/live/token`, { method: 'POST' });
    expect([minted.status, await minted.json()]).toEqual([200, { token: 'anonymous', expiresAt: null, tenant: 'default' }]);
    const client = await openLiveClient(open.url, { token: 'anonymous' });
    client.close();
  });
});

describe('token lifetime', () => {
  let short: App;
  let startupWarnings: string[];

  beforeAll(async () => {
    // This app sets no collector keys: it says so at start-up (asserted below).
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    short = await startQuietApp({
      PANECAST_AUTH: 'on',
      PANECAST_TOKEN_SECRETS: SECRET,
      PANECAST_READ_KEYS: `default:${READ_DEFAULT}`,
      PANECAST_LIVE_EXPIRY_NOTICE_MS: '1000',
      PANECAST_LIVE_TOKEN_TTL_MS: '2000',
    }).finally(() => {
      startupWarnings = warn.mock.calls.map((call) => String(call[0]));
      warn.mockRestore();
    });
  });

  it('with auth on and no collector keys, warns at start-up and refuses every event', async () => {
    expect(startupWarnings).toContain('panecast: PANECAST_API_KEYS is not set while auth is on, so every collector request is refused');
    const sent = await fetch(`${short.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${READ_DEFAULT}` }, body: '[{"type":"a"}]' });
    expect(sent.status).toBe(401);
  });

  afterAll(async () => {
    await short.stop();
  });

  it('is announced by the gateway the configured notice ahead of the expiry the token route gave', async () => {
    const minted = await fetch(`${short.url}/v1/live/token`, { method: 'POST', headers: { authorization: `Bearer ${READ_DEFAULT}` } });
    const { token, expiresAt } = (await minted.json()) as { token: string; expiresAt: number };
    const client = await openLiveClient(short.url, { token });
    try {
      const expiring = await waitFor(() => client.messages.find((m) => m.type === 'expiring'), 'expiring frame', 3000);
      expect(expiring).toEqual({ type: 'expiring', at: expiresAt });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 1000 - 50);
    } finally {
      client.close();
    }
  });
});
