/**
 * POST /v1/events with per-tenant API keys and idempotency keys: refusals
 * with stable codes, tenant isolation of metrics, a retried batch counted
 * once, and the CORS answers browsers need.
 */
import { mkdtempSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app';
import { startQuietApp, uniqueType, waitFor } from '../support';

const DEFAULT_KEY = 'default-key-0123456789';
const ACME_KEY = 'acme-key-0123456789abc';
let app: App;
let metricsDir: string;

beforeAll(async () => {
  // The shipped `events` metric (default tenant) beside one owned by tenant acme.
  metricsDir = mkdtempSync(join(tmpdir(), 'panecast-keys-'));
  copyFileSync(join(__dirname, '..', '..', 'metrics', 'events.yaml'), join(metricsDir, 'events.yaml'));
  writeFileSync(
    join(metricsDir, 'acme.yaml'),
    'metrics:\n  - name: acme__events\n    description: acme events by type\n    match: { type: "*" }\n    dimensions: [type]\n',
  );
  app = await startQuietApp({
    PANECAST_OUT_OF_ORDERNESS_MS: '200',
    PANECAST_IDLE_MS: '300',
    PANECAST_METRICS_DIR: metricsDir,
    PANECAST_API_KEYS: `default:${DEFAULT_KEY},acme:${ACME_KEY}`,
  });
});

afterAll(async () => {
  await app.stop();
  rmSync(metricsDir, { recursive: true, force: true });
});

async function send(body: unknown, headers: Record<string, string>): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${app.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

/** Count of `type` in `metric` over the last minute, summed over windows. */
async function countOf(metric: string, type: string): Promise<number> {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  const params = new URLSearchParams({ metric, aggregate: 'count', size: '1000', from: String(to - 60_000), to: String(to), 'filter.type': type });
  const answer = (await (await fetch(`${app.url}/v1/query?${params}`)).json()) as { groups: Array<{ points: Array<{ value: number }> }> };
  return answer.groups.flatMap((group) => group.points).reduce((sum, point) => sum + point.value, 0);
}

const events = (type: string, n: number) => Array.from({ length: n }, (_, i) => ({ type, ts: Date.now() - 100 + i }));
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

it('refuses a request without a key or with a wrong one, with stable codes and nothing appended', async () => {
  const type = uniqueType('nokey');
  const before = app.collector.stats.accepted;
  const missing = await send(events(type, 1), {});
  expect([missing.status, missing.json.error.code]).toEqual([401, 'PANECAST_ERR_API_KEY_MISSING']);
  const wrong = await send(events(type, 1), bearer('not-a-key-0123456789'));
  expect([wrong.status, wrong.json.error.code]).toEqual([401, 'PANECAST_ERR_API_KEY_INVALID']);
  const notBearer = await send(events(type, 1), { authorization: DEFAULT_KEY });
  expect(notBearer.json.error.code).toBe('PANECAST_ERR_API_KEY_INVALID');
  expect(app.collector.stats.accepted).toBe(before);
});

it("writes an event only into its key's tenant metrics", async () => {
  const type = uniqueType('tenant');
  expect((await send(events(type, 4), bearer(ACME_KEY))).status).toBe(202);
  expect((await send(events(type, 2), bearer(DEFAULT_KEY))).status).toBe(202);
  await waitFor(async () => ((await countOf('acme__events', type)) === 4 && (await countOf('events', type)) === 2 ? true : undefined), 'both tenants counted');
  // Settled: acme's four never reached the default tenant's metric, nor the default's two acme's.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect([await countOf('acme__events', type), await countOf('events', type)]).toEqual([4, 2]);
});

it('counts a batch retried with the same idempotency key once, and a reused key with another body as a new batch', async () => {
  const type = uniqueType('retry');
  const body = JSON.stringify(events(type, 5));
  const headers = { ...bearer(DEFAULT_KEY), 'idempotency-key': `batch-${type}` };
  const retriedBefore = app.processor.snapshot().retriedEvents;
  expect((await send(body, headers)).json).toEqual({ accepted: 5 });
  // The answer was lost, say: the client sends the same body again, twice.
  expect((await send(body, headers)).json).toEqual({ accepted: 5 });
  expect((await send(body, headers)).json).toEqual({ accepted: 5 });
  await waitFor(() => (app.processor.snapshot().retriedEvents - retriedBefore === 10 ? true : undefined), 'retries dropped');
  await waitFor(async () => ((await countOf('events', type)) === 5 ? true : undefined), 'batch counted');
  // The same key from another tenant is another batch.
  expect((await send(body, { ...headers, ...bearer(ACME_KEY) })).status).toBe(202);
  // The same key with other events: counted, never silently dropped.
  expect((await send(events(type, 3), headers)).status).toBe(202);
  await waitFor(async () => ((await countOf('events', type)) === 8 && (await countOf('acme__events', type)) === 5 ? true : undefined), 'new batches counted');
});

it('refuses a malformed idempotency key', async () => {
  const answer = await send(events(uniqueType('badkey'), 1), { ...bearer(DEFAULT_KEY), 'idempotency-key': 'x'.repeat(200) });
  expect([answer.status, answer.json.error.code]).toEqual([400, 'PANECAST_ERR_IDEMPOTENCY_KEY']);
});

it('answers CORS preflights and lets pages read the answer', async () => {
  const preflight = await fetch(`${app.url}/v1/events`, {
    method: 'OPTIONS',
    headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, content-type, idempotency-key, sent-at');
  const refused = await send(events('x', 1), { origin: 'https://shop.example' });
  expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  expect(refused.headers.get('access-control-expose-headers')).toBe('retry-after');
});
