/**
 * Request bodies that arrive slowly or stall: the collector bounds the bytes
 * all of them may hold (503 PANECAST_ERR_BUSY past it) and closes a request
 * that has not arrived within the request timeout, giving its bytes back.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { startApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { post } from '../support';

let app: App;

beforeAll(async () => {
  app = await startApp(
    loadConfig({
      PANECAST_PORT: '0',
      PANECAST_DEMO_EVENTS_PER_SEC: '0',
      PANECAST_BODY_MEMORY_BYTES: '4096',
      PANECAST_REQUEST_TIMEOUT_MS: '800',
    }),
  );
});

afterAll(async () => {
  await app.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A POST that declares `declared` bytes, sends `sent` of them (a JSON array padded with spaces) and then waits. */
function stalledPost(declared: number, sent: number): { req: ClientRequest; answer: Promise<IncomingMessage | Error> } {
  const req = request(`${app.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': declared } });
  const answer = new Promise<IncomingMessage | Error>((resolve) => {
    req.once('response', resolve);
    req.once('error', resolve);
  });
  req.write(`[${' '.repeat(sent - 1)}`);
  return { req, answer };
}

async function answerOf(response: IncomingMessage): Promise<{ status: number; retryAfter?: string; code?: string }> {
  let text = '';
  for await (const chunk of response) {
    text += String(chunk);
  }
  return { status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], code: (JSON.parse(text) as { error?: { code: string } }).error?.code };
}

it('answers 503 with Retry-After once stalled bodies hold the budget, and takes requests again when they are gone', async () => {
  const first = stalledPost(3500, 3000);
  await sleep(150);
  const second = stalledPost(3500, 3000);
  const refused = await second.answer;
  expect(refused).not.toBeInstanceOf(Error);
  expect(await answerOf(refused as IncomingMessage)).toEqual({ status: 503, retryAfter: '1', code: 'PANECAST_ERR_BUSY' });
  second.req.destroy();

  first.req.destroy();
  await sleep(150);
  expect(await post(app.url, JSON.stringify([{ type: 'after_stall' }]))).toEqual({ status: 202, json: { accepted: 1 } });
});

it('closes a request whose body has not arrived within the request timeout and frees its bytes', async () => {
  const stalled = stalledPost(3500, 3000);
  const started = Date.now();
  const outcome = await stalled.answer;
  // Node answers 408 (or drops the socket) once the timeout check sees the request late.
  if (!(outcome instanceof Error)) {
    expect(outcome.statusCode).toBe(408);
  }
  expect(Date.now() - started).toBeLessThan(5000);
  stalled.req.destroy();
  await sleep(50);
  // Its 3000 bytes are back in the budget: a body of the same size is taken.
  const body = JSON.stringify([{ type: 'after_timeout', pad: 'x'.repeat(2900) }]);
  expect(await post(app.url, body)).toEqual({ status: 202, json: { accepted: 1 } });
});
