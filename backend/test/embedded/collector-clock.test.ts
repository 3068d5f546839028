/**
 * POST /v1/events with a `sent-at` header: a device whose clock is 10 minutes
 * off gets its events accepted, their times moved onto the collector's clock;
 * a good clock's are left exactly as sent; a retry with a new sent-at is still
 * the same batch, counted once; a malformed sent-at is refused with its code.
 */
import type { App } from '../../src/app';
import { recordText } from '../../src/buffer/event-log';
import type { MemoryLog } from '../../src/buffer/memory-log';
import type { PanecastEvent } from '../../src/collect/event';
import { decodeRecordEvents } from '../../src/collect/event-records';
import { startQuietApp, uniqueType, waitFor } from '../support';

const TEN_MINUTES = 10 * 60_000;
let app: App;

beforeAll(async () => {
  app = await startQuietApp({ PANECAST_OUT_OF_ORDERNESS_MS: '200', PANECAST_IDLE_MS: '300' });
});

afterAll(async () => {
  await app.stop();
});

async function send(body: string, headers: Record<string, string>, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const response = await fetch(`${app.url}/v1/events`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  return { status: response.status, json: await response.json() };
}

/** Every logged event of `type`, as the processor reads it. */
function logged(type: string): PanecastEvent[] {
  const log = app.log as MemoryLog;
  return log
    .sizes()
    .flatMap((_, partition) => log.records(partition))
    .flatMap((record) => decodeRecordEvents(recordText(record.value)))
    .filter((event): event is PanecastEvent => event?.type === type);
}

/** Count of `type` in the shipped `events` metric over the last minute. */
async function countOf(type: string): Promise<number> {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  const params = new URLSearchParams({ metric: 'events', aggregate: 'count', size: '1000', from: String(to - 60_000), to: String(to), 'filter.type': type });
  const answer = (await (await fetch(`${app.url}/v1/query?${params}`)).json()) as { groups: Array<{ points: Array<{ value: number }> }> };
  return answer.groups.flatMap((group) => group.points).reduce((sum, point) => sum + point.value, 0);
}

it('accepts a batch from a clock 10 minutes fast, its event times corrected to the server clock, and counts it', async () => {
  const type = uniqueType('fast_clock');
  const device = Date.now() + TEN_MINUTES;
  // Tracked 2 s, 1 s and 0 s before the device sent them.
  const body = JSON.stringify([2000, 1000, 0].map((ago) => ({ type, ts: device - ago })));
  const before = Date.now();
  const answer = await send(body, { 'sent-at': String(device) });
  const after = Date.now();
  expect(answer).toEqual({ status: 202, json: { accepted: 3 } });
  const times = logged(type).map((event) => event.ts);
  // Corrected to the collector clock: each at most the request's transit after its true time.
  [2000, 1000, 0].forEach((ago, i) => {
    expect(times[i]).toBeGreaterThanOrEqual(before - ago);
    expect(times[i]).toBeLessThanOrEqual(after - ago);
  });
  // In the windows of now, not 10 minutes ahead: the query of the last minute finds all three.
  await waitFor(async () => ((await countOf(type)) === 3 ? true : undefined), 'fast-clock events counted');
});

it('refuses the same batch without sent-at, as the collector always did', async () => {
  const type = uniqueType('fast_clock_plain');
  const answer = await send(JSON.stringify([{ type, ts: Date.now() + TEN_MINUTES }]), {});
  expect(answer.status).toBe(400);
  expect(answer.json.error.details.errors).toEqual([expect.objectContaining({ code: 'PANECAST_ERR_EVENT_TS_FUTURE' })]);
});

it('moves a clock 10 minutes slow forward, NDJSON alike', async () => {
  const type = uniqueType('slow_clock');
  const device = Date.now() - TEN_MINUTES;
  const before = Date.now();
  const answer = await send(`{"type":"${type}","ts":${device - 500}}\n`, { 'sent-at': String(device) }, 'application/x-ndjson');
  expect(answer.status).toBe(202);
  const [event] = logged(type);
  expect(event?.ts).toBeGreaterThanOrEqual(before - 500);
  expect(event?.ts).toBeLessThanOrEqual(Date.now() - 500);
});

it('leaves the event times of a good clock exactly as sent', async () => {
  const type = uniqueType('good_clock');
  const now = Date.now();
  const times = [now - 30_000, now - 1500, now - 3];
  expect((await send(JSON.stringify(times.map((ts) => ({ type, ts }))), { 'sent-at': String(now) })).status).toBe(202);
  expect(logged(type).map((event) => event.ts)).toEqual(times);
});

it('keeps a retry with a new sent-at the same batch (same digest), counted once', async () => {
  const type = uniqueType('fast_retry');
  const offset = TEN_MINUTES;
  const body = JSON.stringify([{ type, ts: Date.now() + offset - 1000 }, { type, ts: Date.now() + offset - 500 }]);
  const key = { 'idempotency-key': `k-${type}` };
  const retriedBefore = app.processor.snapshot().retriedEvents;
  expect((await send(body, { ...key, 'sent-at': String(Date.now() + offset) })).status).toBe(202);
  // The answer was lost: the device sends the same body again, stamped with its new send time.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect((await send(body, { ...key, 'sent-at': String(Date.now() + offset) })).status).toBe(202);
  const events = logged(type);
  expect(events).toHaveLength(4);
  expect(new Set(events.map((event) => event.origin?.batch)).size).toBe(1);
  expect(new Set(events.map((event) => event.origin?.attempt)).size).toBe(2);
  await waitFor(() => (app.processor.snapshot().retriedEvents - retriedBefore === 2 ? true : undefined), 'retry dropped');
  await waitFor(async () => ((await countOf(type)) === 2 ? true : undefined), 'batch counted once');
});

it.each(['soon', '-1', '1.5e12', '1800000000000.5', '99999999999999999'])('refuses sent-at %j with PANECAST_ERR_SENT_AT, appending nothing', async (value) => {
  const type = uniqueType('bad_sent_at');
  const answer = await send(JSON.stringify([{ type }]), { 'sent-at': value });
  expect([answer.status, answer.json.error.code]).toEqual([400, 'PANECAST_ERR_SENT_AT']);
  expect(logged(type)).toEqual([]);
});

it('lets browser pages send sent-at (CORS preflight)', async () => {
  const preflight = await fetch(`${app.url}/v1/events`, {
    method: 'OPTIONS',
    headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,sent-at' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-headers')?.split(/,\s*/)).toContain('sent-at');
});
