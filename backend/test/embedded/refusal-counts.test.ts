/**
 * Why requests and connections are refused, as operators read it: each
 * refusal provoked here moves `/v1/stats` (collector.refusedByCode,
 * live.closesByCode, live.errorFramesByCode) and the matching `/metrics`
 * series by exactly one, and nothing else among those counts moves.
 */
import { request } from 'node:http';
import { CLOSE, PROTOCOL_VERSION } from '@panecast/protocol';
import type { App } from '../../src/app';
import { parsePrometheusText } from '../prometheus-text';
import { startQuietApp, waitFor } from '../support';
import { TestClient } from './live-harness';

const KEY = 'refusals-key-0123456789';
let app: App;

beforeAll(async () => {
  app = await startQuietApp({
    PANECAST_API_KEYS: `default:${KEY}`,
    PANECAST_MAX_BODY_BYTES: '2048',
    PANECAST_REQUEST_TIMEOUT_MS: '600',
  });
});

afterAll(async () => {
  await app.stop();
});

interface Counts {
  rejectedBatches: number;
  refused: Record<string, number>;
  closes: Record<string, Record<string, number>>;
  errorFrames: Record<string, number>;
}

/** The counts as /v1/stats serves them, after checking that /metrics shows exactly the same. */
async function counts(): Promise<Counts> {
  const stats = (await (await fetch(`${app.url}/v1/stats`)).json()) as {
    collector: { rejectedBatches: number; refusedByCode: Record<string, number> };
    live: { closesByCode: Record<string, Record<string, number>>; errorFramesByCode: Record<string, number> };
  };
  const scraped = parsePrometheusText(await (await fetch(`${app.url}/metrics`)).text());
  const byCode = (name: string) => Object.fromEntries(scraped.find(name).map((s) => [s.labels.code, s.value]));
  const closes: Record<string, Record<string, number>> = {};
  for (const sample of scraped.find('panecast_live_connections_closed_total')) {
    (closes[sample.labels.code as string] ??= {})[sample.labels.by as string] = sample.value;
  }
  // Nothing else moves these counts while a test runs: the scrape and the stats agree.
  expect(byCode('panecast_collector_requests_refused_total')).toEqual(stats.collector.refusedByCode);
  expect(byCode('panecast_live_error_frames_total')).toEqual(stats.live.errorFramesByCode);
  expect(closes).toEqual(stats.live.closesByCode);
  return { rejectedBatches: stats.collector.rejectedBatches, refused: stats.collector.refusedByCode, closes: stats.live.closesByCode, errorFrames: stats.live.errorFramesByCode };
}

/** Each count of `after` minus the same count of `before`, zeros left out: what moved. */
function moved(before: Counts, after: Counts): Record<string, number> {
  const flat = (c: Counts): Record<string, number> => ({
    rejectedBatches: c.rejectedBatches,
    ...Object.fromEntries(Object.entries(c.refused).map(([code, n]) => [`refused ${code}`, n])),
    ...Object.fromEntries(Object.entries(c.errorFrames).map(([code, n]) => [`error frame ${code}`, n])),
    ...Object.fromEntries(Object.entries(c.closes).flatMap(([code, sides]) => Object.entries(sides).map(([by, n]) => [`closed ${code} by ${by}`, n]))),
  });
  const [from, to] = [flat(before), flat(after)];
  return Object.fromEntries(Object.entries(to).flatMap(([name, n]) => (n - (from[name] ?? 0) === 0 ? [] : [[name, n - (from[name] ?? 0)]])));
}

async function postEvents(body: string, headers: Record<string, string>): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${app.url}/v1/events`, { method: 'POST', headers, body });
  const answer = (await response.json()) as { error?: { code: string } };
  return answer.error === undefined ? { status: response.status } : { status: response.status, code: answer.error.code };
}

const json = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

describe('POST /v1/events', () => {
  it.each([
    ['a missing key', '[{"type":"a"}]', { 'content-type': 'application/json' }, 401, 'PANECAST_ERR_API_KEY_MISSING', 0],
    ['a wrong key', '[{"type":"a"}]', { ...json, authorization: 'Bearer not-the-key' }, 401, 'PANECAST_ERR_API_KEY_INVALID', 0],
    ['another media type', 'type=a', { ...json, 'content-type': 'text/plain' }, 415, 'PANECAST_ERR_UNSUPPORTED_MEDIA_TYPE', 0],
    ['an oversize body', JSON.stringify([{ type: 'a', pad: 'x'.repeat(3000) }]), json, 413, 'PANECAST_ERR_BODY_TOO_LARGE', 0],
    // Refused once read: rejectedBatches (unchanged in meaning) moves with it.
    ['malformed JSON', '[{"type": "a",', json, 400, 'PANECAST_ERR_MALFORMED_JSON', 1],
    ['an invalid event', '[{"type": "no spaces allowed"}]', json, 400, 'PANECAST_ERR_INVALID_EVENTS', 1],
  ])('counts %s by its code', async (_what, body, headers, status, code, rejected) => {
    const before = await counts();
    expect(await postEvents(body, headers)).toEqual({ status, code });
    const after = await counts();
    expect(moved(before, after)).toEqual(rejected === 0 ? { [`refused ${code}`]: 1 } : { [`refused ${code}`]: 1, rejectedBatches: 1 });
  });

  it('counts nothing for an accepted batch', async () => {
    const before = await counts();
    expect(await postEvents('[{"type":"a"}]', json)).toEqual({ status: 202 });
    expect(moved(before, await counts())).toEqual({});
  });

  it("counts a body that did not arrive within the request timeout (Node's 408)", async () => {
    const before = await counts();
    const stalled = request(`${app.url}/v1/events`, { method: 'POST', headers: { ...json, 'content-length': 1000 } });
    const status = new Promise<number | 'dropped'>((resolve) => {
      stalled.once('response', (response) => resolve(response.statusCode ?? 0));
      stalled.once('error', () => resolve('dropped'));
    });
    stalled.write('[');
    // Node answers 408 (or drops the socket if it cannot write any more); counted either way.
    expect([408, 'dropped']).toContain(await status);
    stalled.destroy();
    await waitFor(async () => (Object.keys(moved(before, await counts())).length > 0 ? true : undefined), 'the refusal counted');
    expect(moved(before, await counts())).toEqual({ 'refused PANECAST_ERR_REQUEST_TIMEOUT': 1 });
  });

  it('does not count a client that left mid-body: nobody was answered', async () => {
    const before = await counts();
    const left = request(`${app.url}/v1/events`, { method: 'POST', headers: { ...json, 'content-length': 1000 } });
    left.on('error', () => undefined);
    left.write('[');
    await new Promise((resolve) => setTimeout(resolve, 100));
    left.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(moved(before, await counts())).toEqual({});
  });
});

describe('the live channel', () => {
  /** Waits until the gateway has counted what the test provoked (a close reaches it after the handshake). */
  async function settled(before: Counts, expected: Record<string, number>): Promise<void> {
    await waitFor(async () => (Object.keys(moved(before, await counts())).length >= Object.keys(expected).length ? true : undefined), 'the counts moved');
    expect(moved(before, await counts())).toEqual(expected);
  }

  it('counts a connection the client closed, by its code', async () => {
    const before = await counts();
    const client = await TestClient.open(app.url);
    await client.open();
    client.socket.close(CLOSE.NORMAL, 'done');
    await client.closed;
    await settled(before, { [`closed ${CLOSE.NORMAL} by client`]: 1 });
  });

  it('counts a close the gateway decided by the code it sent, with its error frame', async () => {
    const before = await counts();
    const client = await TestClient.open(app.url);
    // A subscribe before hello: PANECAST_ERR_HELLO_REQUIRED, then 4001.
    client.send({ type: 'subscribe', id: 'r1', sub: 'A', query: { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 } } });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_HELLO_REQUIRED' });
    expect((await client.closed).code).toBe(CLOSE.AUTH_FAILED);
    await settled(before, { [`closed ${CLOSE.AUTH_FAILED} by server`]: 1, 'error frame PANECAST_ERR_HELLO_REQUIRED': 1 });
  });

  it('counts an error frame for a bad subscribe, which keeps the connection', async () => {
    const client = await TestClient.open(app.url);
    await client.open();
    const before = await counts();
    client.send({ type: 'subscribe', id: 'r1', sub: 'A', query: { metric: 'no_such_metric', aggregate: 'count', window: { type: 'tumbling', size: 1000 } } });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_QUERY_UNKNOWN_METRIC', id: 'r1' });
    expect(moved(before, await counts())).toEqual({ 'error frame PANECAST_ERR_QUERY_UNKNOWN_METRIC': 1 });
    client.socket.close(CLOSE.GOING_AWAY);
    await settled(before, { 'error frame PANECAST_ERR_QUERY_UNKNOWN_METRIC': 1, [`closed ${CLOSE.GOING_AWAY} by client`]: 1 });
  });

  it('counts a frame over maxFrameBytes, which ws refuses by itself, as 1009 from the server', async () => {
    const before = await counts();
    const client = await TestClient.open(app.url);
    client.send({ type: 'hello', version: PROTOCOL_VERSION, token: 'x'.repeat(70 * 1024) });
    expect((await client.closed).code).toBe(CLOSE.MESSAGE_TOO_BIG);
    await settled(before, { [`closed ${CLOSE.MESSAGE_TOO_BIG} by server`]: 1 });
  });
});
