/**
 * The collector's public behaviour over HTTP, with the in-memory twins behind
 * it: what a client sees for good and bad input.
 */
import type { App } from '../../src/app';
import type { MemoryLog } from '../../src/buffer/memory-log';
import { loggedEvents, post, startQuietApp } from '../support';

let app: App;
const LIMIT = 4096;

beforeAll(async () => {
  app = await startQuietApp({ PANECAST_MAX_BODY_BYTES: String(LIMIT), PANECAST_MAX_BATCH_EVENTS: '50' });
});

afterAll(async () => {
  await app.stop();
});

function logSize(): number {
  return loggedEvents(app.log as MemoryLog).reduce((sum, n) => sum + n, 0);
}

describe('POST /v1/events', () => {
  it('answers 202 with the count of a JSON array, once the log has it', async () => {
    const before = logSize();
    const response = await post(app.url, JSON.stringify([{ type: 'a' }, { type: 'b', ts: Date.now() }]));
    expect(response).toEqual({ status: 202, json: { accepted: 2 } });
    expect(logSize()).toBe(before + 2);
  });

  it('keeps one type in one partition, and spreads a type over partitions by its key field', async () => {
    const log = app.log as MemoryLog;
    const before = loggedEvents(log);
    const records = log.sizes();
    expect((await post(app.url, JSON.stringify(Array.from({ length: 12 }, () => ({ type: 'spread' }))))).status).toBe(202);
    const byType = loggedEvents(log).map((size, i) => size - (before[i] as number));
    expect(byType.filter((added) => added > 0)).toEqual([12]);
    // One request's events of one key travel as one record.
    expect(log.sizes().map((size, i) => size - (records[i] as number)).filter((added) => added > 0)).toEqual([1]);

    const middle = loggedEvents(log);
    const keyed = Array.from({ length: 40 }, (_, i) => ({ type: 'spread', key: `user-${i}` }));
    expect((await post(app.url, JSON.stringify(keyed))).status).toBe(202);
    const byKey = loggedEvents(log).map((size, i) => size - (middle[i] as number));
    expect(byKey.filter((added) => added > 0).length).toBeGreaterThan(1);
  });

  it('takes NDJSON', async () => {
    const response = await post(app.url, '{"type":"a"}\n{"type":"a"}\n\n{"type":"c"}\n', 'application/x-ndjson');
    expect(response).toEqual({ status: 202, json: { accepted: 3 } });
  });

  it('names line and column of malformed JSON, and accepts nothing', async () => {
    const before = logSize();
    const response = await post(app.url, '[{"type":"a"},\n{"type":"b"', 'application/json');
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('PANECAST_ERR_MALFORMED_JSON');
    expect(response.json.error.details).toMatchObject({ line: 2 });
    expect(logSize()).toBe(before);
  });

  it('names the malformed NDJSON line, and accepts none of the good ones', async () => {
    const before = logSize();
    const response = await post(app.url, '{"type":"a"}\n{"type":"a"\n{"type":"a"}', 'application/x-ndjson');
    expect(response.status).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'PANECAST_ERR_MALFORMED_JSON', details: { line: 2 } });
    expect(logSize()).toBe(before);
  });

  it('lists every invalid event with its code, and accepts none', async () => {
    const before = logSize();
    const response = await post(app.url, JSON.stringify([{ type: 'ok' }, { type: 1 }, { type: 'x', ts: 'soon' }, 'str']));
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('PANECAST_ERR_INVALID_EVENTS');
    expect(response.json.error.details.errors).toEqual([
      expect.objectContaining({ index: 1, code: 'PANECAST_ERR_EVENT_TYPE', field: 'type' }),
      expect.objectContaining({ index: 2, code: 'PANECAST_ERR_EVENT_TS', field: 'ts' }),
      expect.objectContaining({ index: 3, code: 'PANECAST_ERR_EVENT_NOT_OBJECT' }),
    ]);
    expect(logSize()).toBe(before);
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify([{ type: 'a', pad: 'x'.repeat(LIMIT) }]);
    const declared = await post(app.url, big);
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('PANECAST_ERR_BODY_TOO_LARGE');

    // Chunked upload without Content-Length: the limit is enforced while reading.
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await fetch(`${app.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('refuses a batch with more events than allowed', async () => {
    const response = await post(app.url, JSON.stringify(Array.from({ length: 51 }, () => ({ type: 'a' }))));
    expect(response.status).toBe(413);
    expect(response.json.error.code).toBe('PANECAST_ERR_BATCH_TOO_LARGE');
  });

  it('refuses empty bodies, scalars and unknown media types with their codes', async () => {
    expect((await post(app.url, '')).json.error.code).toBe('PANECAST_ERR_EMPTY_BATCH');
    expect((await post(app.url, '"hi"')).json.error.code).toBe('PANECAST_ERR_BAD_BATCH');
    const media = await post(app.url, 'type=a', 'application/x-www-form-urlencoded');
    expect(media.status).toBe(415);
    expect(media.json.error.code).toBe('PANECAST_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 503 and accepts nothing when the log does not acknowledge', async () => {
    const append = jest.spyOn(app.log, 'append').mockRejectedValueOnce(new Error('broker gone'));
    const response = await post(app.url, JSON.stringify([{ type: 'a' }]));
    expect(response.status).toBe(503);
    expect(response.json.error.code).toBe('PANECAST_ERR_BUFFER_UNAVAILABLE');
    append.mockRestore();
  });
});

describe('other routes', () => {
  it('404s an unknown route and 405s a wrong method, with codes', async () => {
    const missing = await fetch(`${app.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('PANECAST_ERR_NOT_FOUND');
    const wrong = await fetch(`${app.url}/v1/events`);
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('PANECAST_ERR_METHOD_NOT_ALLOWED');
    // RFC 9110: a 405 carries Allow.
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
    const post = await fetch(`${app.url}/v1/query`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('is healthy and, with in-memory twins, ready', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: {} });
  });

  it('serves the live page', async () => {
    const page = await fetch(`${app.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/v1/live');
  });
});
