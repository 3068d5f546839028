/**
 * GET /metrics with auth on: read like /v1/stats. Without a read key it is
 * refused with the read routes' codes (a write key is no read key), and a
 * reader's per-metric series name only its tenant's metrics, exactly the
 * ones its /v1/stats lists; process-wide figures are the same for everyone.
 */
import { parsePrometheusText, type Scrape } from '../prometheus-text';
import { waitFor } from '../support';
import { startTenantApp, type TenantApp } from './tenant-app';

const SECRET = 'metrics-auth-test-secret-0123456789abcdef';
const READ_DEFAULT = 'read-default-metrics-0123';
const READ_ACME = 'read-acme-metrics-0123456';
const WRITE_ACME = 'write-acme-metrics-012345';
const WRITE_DEFAULT = 'write-default-metrics-012';

let tenants: TenantApp;

beforeAll(async () => {
  tenants = await startTenantApp('acme__events', {
    PANECAST_TOKEN_SECRETS: SECRET,
    PANECAST_READ_KEYS: `default:${READ_DEFAULT},acme:${READ_ACME}`,
    PANECAST_API_KEYS: `acme:${WRITE_ACME},default:${WRITE_DEFAULT}`,
  });
});

afterAll(async () => {
  await tenants.stop();
});

async function get(path: string, authorization?: string): Promise<Response> {
  return fetch(`${tenants.app.url}${path}`, { headers: authorization === undefined ? {} : { authorization } });
}

async function scrape(key: string): Promise<Scrape> {
  const response = await get('/metrics', `Bearer ${key}`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

async function post(key: string, events: unknown[]): Promise<void> {
  const response = await fetch(`${tenants.app.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(202);
}

/** The metric names a scrape's per-metric series carry. */
const metricLabels = (scraped: Scrape, series: string) => new Set(scraped.find(series).map((sample) => sample.labels.metric));

describe('refusals, with the codes and challenge of /v1/stats', () => {
  it.each([
    ['no authorization', 'PANECAST_ERR_READ_KEY_MISSING', undefined],
    ['a bare Bearer', 'PANECAST_ERR_READ_KEY_MISSING', 'Bearer '],
    ['an unknown key', 'PANECAST_ERR_READ_KEY_INVALID', 'Bearer not-a-read-key-0123456789'],
    ['a collector (write) key', 'PANECAST_ERR_READ_KEY_INVALID', `Bearer ${WRITE_ACME}`],
  ])('%s: 401 %s', async (_title, code, authorization) => {
    for (const path of ['/metrics', '/v1/stats']) {
      const response = await get(path, authorization);
      const body = (await response.json()) as { error: { code: string } };
      expect([path, response.status, body.error.code]).toEqual([path, 401, code]);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="panecast"');
    }
  });
});

it("names only the reader's tenant's metrics, exactly those its /v1/stats lists", async () => {
  const now = Date.now();
  await post(WRITE_ACME, [{ type: 'acme_checkout', ts: now }]);
  await post(WRITE_DEFAULT, [{ type: 'default_click', ts: now }]);
  // Both tenants' events are in the engines: each tenant's metric holds a series.
  await waitFor(async () => {
    const own = (await scrape(READ_DEFAULT)).find('panecast_engine_series', { metric: 'events' })[0]?.value ?? 0;
    const acme = (await scrape(READ_ACME)).find('panecast_engine_series', { metric: 'acme__events' })[0]?.value ?? 0;
    return own > 0 && acme > 0 ? true : undefined;
  }, 'series of both tenants');

  for (const [key, own, other] of [
    [READ_ACME, 'acme__events', 'events'],
    [READ_DEFAULT, 'events', 'acme__events'],
  ] as const) {
    const scraped = await scrape(key);
    const text = await (await get('/metrics', `Bearer ${key}`)).text();
    expect(metricLabels(scraped, 'panecast_engine_series')).toEqual(new Set([own]));
    // Not in any series, label or help text.
    expect(text).not.toMatch(new RegExp(`metric="${other}"`));
    const stats = (await (await get('/v1/stats', `Bearer ${key}`)).json()) as { engines: Array<{ metrics: Record<string, unknown> }> };
    expect(new Set(stats.engines.flatMap((engine) => Object.keys(engine.metrics)))).toEqual(new Set([own]));
  }
});

it('shows process-wide figures alike to every reader', async () => {
  const [acme, other] = await Promise.all([scrape(READ_ACME), scrape(READ_DEFAULT)]);
  expect(acme.value('panecast_collector_events_accepted_total')).toBe(other.value('panecast_collector_events_accepted_total'));
  expect(acme.value('panecast_collector_events_accepted_total')).toBeGreaterThanOrEqual(2);
  expect(acme.types.get('process_cpu_seconds_total')).toBe('counter');
});
