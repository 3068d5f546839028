/**
 * Credentials on the live channel: signed tokens (refusals and their close
 * codes, expiry announced then enforced), the origin allow-list, tenant
 * isolation and the per-subject connection limit.
 */
import { CLOSE, DEFAULT_LIMITS, PROTOCOL_VERSION } from '@panecast/protocol';
import { EVENTS, SECRET, refusedUpgrade, sleep, startHarness, token, update, T0, type Harness, type HarnessOptions } from './live-harness';

let h: Harness;

function perTest(options: HarnessOptions = {}): void {
  beforeEach(async () => {
    h = await startHarness({ secrets: [SECRET], ...options });
  });
  afterEach(async () => {
    await h.close();
  });
}

const nowSec = () => Math.floor(Date.now() / 1000);

describe('tokens', () => {
  perTest();

  it('welcomes a valid token and serves its tenant', async () => {
    await h.publish(EVENTS, [update({ type: 'click' }, T0, 1)]);
    const client = await h.connect();
    await client.open(token());
    client.subscribe('A', EVENTS);
    expect(await client.take(2)).toEqual([
      { type: 'subscribed', id: 'r-A', sub: 'A', resumed: false },
      { type: 'snapshot', sub: 'A', seq: h.seq(EVENTS, 1), windows: [{ series: { type: 'click' }, window: { start: T0, end: T0 + 1000 }, value: 1, final: false }] },
    ]);
  });

  /** A valid signature moved onto another tenant's payload. */
  const forged = () => {
    const signature = token().split('.')[1] as string;
    const tampered = Buffer.from(JSON.stringify({ tenant: 'acme', sub: 'user-1', iat: nowSec() - 5, exp: nowSec() + 3600 })).toString('base64url');
    return `${tampered}.${signature}`;
  };

  it.each([
    ['a malformed token', () => 'not-a-token', 'PANECAST_ERR_TOKEN_MALFORMED', CLOSE.AUTH_FAILED],
    ['a token signed with another secret', () => token({}, 'another-secret-of-at-least-32-bytes'), 'PANECAST_ERR_TOKEN_SIGNATURE', CLOSE.AUTH_FAILED],
    ['a tampered payload', forged, 'PANECAST_ERR_TOKEN_SIGNATURE', CLOSE.AUTH_FAILED],
    ['an expired token', () => token({ iat: nowSec() - 7200, exp: nowSec() - 1 }), 'PANECAST_ERR_TOKEN_EXPIRED', CLOSE.TOKEN_EXPIRED],
    ['a token issued in the future', () => token({ iat: nowSec() + 600, exp: nowSec() + 3600 }), 'PANECAST_ERR_TOKEN_NOT_YET_VALID', CLOSE.AUTH_FAILED],
  ])('refuses %s with its code and close code', async (_what, make, code, closeCode) => {
    const client = await h.connect();
    client.hello(make());
    expect(await client.next()).toMatchObject({ type: 'error', code });
    expect(await client.closedWithin()).toMatchObject({ code: closeCode, reason: code });
    expect(client.received).toHaveLength(1);
  });

  it('refuses a hello without a token (the parser names the field) with close 4001', async () => {
    const client = await h.connect();
    client.send({ type: 'hello', version: PROTOCOL_VERSION });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_FRAME_FIELD', message: expect.stringContaining('`token`') });
    expect((await client.closedWithin()).code).toBe(CLOSE.AUTH_FAILED);
  });

  it('serves a long-lived token without announcing its expiry', async () => {
    const client = await h.connect();
    await client.open(token({ exp: nowSec() + 40 * 86_400 }));
    await client.quiet(300);
    expect(client.closeInfo).toBeUndefined();
  });
});

describe('expiry during a session', () => {
  // The gateway's clock stands 700 ms before the token's expiry until the client has connected, then
  // runs in real time: however long the harness took to start, the bounds below count from `opened`.
  const exp = nowSec() + 3600;
  let started: number | undefined;
  beforeEach(() => {
    started = undefined;
  });
  perTest({ expiryNoticeMs: 400, clock: () => exp * 1000 - 700 + (started === undefined ? 0 : Date.now() - started) });

  it('sends expiring ahead of the expiry, then closes with 4002 at it', async () => {
    const client = await h.connect();
    const opened = Date.now();
    started = opened;
    await client.open(token({ exp, iat: exp - 3600 }));
    const expiring = await client.nextReceived();
    expect(expiring.message).toEqual({ type: 'expiring', at: exp * 1000 });
    expect(expiring.at - opened).toBeGreaterThanOrEqual(200);
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_TOKEN_EXPIRED' });
    const closed = await client.closedWithin();
    expect(closed).toMatchObject({ code: CLOSE.TOKEN_EXPIRED, reason: 'PANECAST_ERR_TOKEN_EXPIRED' });
    expect(closed.at - opened).toBeGreaterThanOrEqual(600);
    expect(closed.at - opened).toBeLessThan(2000);
  });
});

describe('token inside the notice period', () => {
  const exp = nowSec() + 3600;
  perTest({ expiryNoticeMs: 60_000, clock: () => exp * 1000 - 10_000 });

  it('announces the expiry right after welcome', async () => {
    const client = await h.connect();
    await client.open(token({ exp, iat: exp - 3600 }));
    expect(await client.next()).toEqual({ type: 'expiring', at: exp * 1000 });
    expect(client.closeInfo).toBeUndefined();
  });
});

describe('origins', () => {
  perTest({ allowedOrigins: ['https://grafana.example.com', 'https://*.dash.example.com'] });

  it('refuses an origin off the allow-list with HTTP 403 and a JSON error', async () => {
    expect(await refusedUpgrade(h.url, { Origin: 'https://evil.example.net' })).toEqual({
      status: 403,
      body: { error: { code: 'PANECAST_ERR_ORIGIN_NOT_ALLOWED', message: 'Origin https://evil.example.net is not allowed' } },
    });
    expect((await refusedUpgrade(h.url, { Origin: 'null' })).status).toBe(403);
    expect(h.gateway.stats().refusedOrigins).toBe(2);
  });

  it('accepts listed origins, wildcard subdomains and clients without an Origin', async () => {
    for (const origin of ['https://grafana.example.com', 'https://eu.dash.example.com', undefined]) {
      const client = await h.connect({ origin });
      await client.open(token());
      client.socket.close();
    }
  });
});

describe('tenant isolation', () => {
  perTest();

  it("lists only the token's tenant metrics and refuses another tenant's as unknown", async () => {
    const acme = await h.connect();
    await acme.open(token({ tenant: 'acme', sub: 'acme-ops' }));
    acme.subscribe('A', EVENTS, { id: 'r1' });
    expect(await acme.next()).toEqual({
      type: 'error',
      code: 'PANECAST_ERR_QUERY_UNKNOWN_METRIC',
      message: 'Unknown metric "events"; known metrics: acme__checkout_ms',
      id: 'r1',
    });

    const other = await h.connect();
    await other.open(token({ tenant: 'default' }));
    other.subscribe('B', { metric: 'acme__checkout_ms', aggregate: 'p99', window: { type: 'tumbling', size: 1000 } }, { id: 'r2' });
    const refused = await other.next();
    expect(refused).toMatchObject({ type: 'error', code: 'PANECAST_ERR_QUERY_UNKNOWN_METRIC', id: 'r2' });
    const known = (refused as { message: string }).message.split('known metrics: ')[1]?.split(', ');
    expect(known).toContain('events');
    expect(known?.filter((name) => name.includes('acme'))).toEqual([]);

    const stranger = await h.connect();
    await stranger.open(token({ tenant: 'globex' }));
    stranger.subscribe('C', EVENTS, { id: 'r3' });
    expect(await stranger.next()).toMatchObject({ code: 'PANECAST_ERR_QUERY_UNKNOWN_METRIC', message: 'Unknown metric "events"; known metrics: (none)' });
  });

  it("serves a tenant its own metric", async () => {
    const query = { metric: 'acme__checkout_ms', aggregate: 'p99', window: { type: 'tumbling' as const, size: 1000 }, groupBy: ['region'] };
    await h.publish(query, [update({ region: 'eu' }, T0, 250)]);
    const acme = await h.connect();
    await acme.open(token({ tenant: 'acme' }));
    acme.subscribe('A', query);
    expect(await acme.take(2)).toEqual([
      { type: 'subscribed', id: 'r-A', sub: 'A', resumed: false },
      { type: 'snapshot', sub: 'A', seq: h.seq(query, 1), windows: [{ series: { region: 'eu' }, window: { start: T0, end: T0 + 1000 }, value: 250, final: false }] },
    ]);
  });
});

describe('connections per token', () => {
  perTest({ limits: { ...DEFAULT_LIMITS, maxConnectionsPerToken: 2 } });

  it('closes the connection over the limit with 4009 and admits a new one once a slot frees', async () => {
    const first = await h.connect();
    await first.open(token({ sub: 'dash' }));
    const second = await h.connect();
    await second.open(token({ sub: 'dash' }));
    const third = await h.connect();
    third.hello(token({ sub: 'dash' }));
    expect(await third.next()).toEqual({ type: 'error', code: 'PANECAST_ERR_TOO_MANY_CONNECTIONS', message: 'This token already has 2 open connections' });
    expect(await third.closedWithin()).toMatchObject({ code: CLOSE.TOO_MANY_CONNECTIONS, reason: 'PANECAST_ERR_TOO_MANY_CONNECTIONS' });

    // Another subject of the same tenant is counted apart.
    const colleague = await h.connect();
    await colleague.open(token({ sub: 'someone-else' }));
    // So is another token of the same subject (minted tokens carry a jti): viewers sharing a
    // datasource's read key each have their own budget, while one token's budget stays 2.
    const tabs = [];
    for (const jti of ['tab-1', 'tab-1', 'tab-2', 'tab-2']) {
      const tab = await h.connect();
      await tab.open(token({ sub: 'dash', jti }));
      tabs.push(tab);
    }
    const extraTab = await h.connect();
    extraTab.hello(token({ sub: 'dash', jti: 'tab-1' }));
    expect(await extraTab.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_TOO_MANY_CONNECTIONS' });

    first.socket.close();
    await first.closed;
    await sleep(50);
    const fourth = await h.connect();
    await fourth.open(token({ sub: 'dash' }));
  });
});

describe('auth off', () => {
  beforeEach(async () => {
    h = await startHarness({ secrets: [], limits: { ...DEFAULT_LIMITS, maxConnectionsPerToken: 2 } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('accepts any token as the default tenant, with no per-token connection cap across anonymous clients', async () => {
    const clients = [];
    for (let i = 0; i < 4; i++) {
      const client = await h.connect();
      await client.open('anything');
      clients.push(client);
    }
    expect(h.gateway.connections).toBe(4);
  });
});
