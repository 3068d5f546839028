/**
 * GET /readyz over HTTP: open to a probe without a credential, which learns
 * the status and which dependency is down by name but no host, port or error
 * text; the details go to a reader with a read key and to the process log
 * (once per change, not once per probe).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { MemoryLog } from '../buffer/memory-log';
import { Collector } from '../collect/collector';
import { parseApiKeys } from '../live/auth';
import { createReadAuth, type ReadAuth } from './read-auth';
import { ReadinessProbe, type ReadinessCheck } from './readiness';
import { createHttpServer } from './server';

const READ_KEY = 'readyz-read-key-0123456789';
const SECRET = 'readyz-test-secret-0123456789abcdef';
/** What a failing client says: the host and port the deployment keeps to itself. */
const KAFKA_ERROR = 'Connection error: connect ECONNREFUSED 10.1.2.3:19092';
const VM_ERROR = 'fetch failed: http://vm.internal.example:18428/health';

let server: Server | undefined;
let warn: jest.SpyInstance;

beforeEach(() => {
  warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(async () => {
  warn.mockRestore();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

function failing(name: string, message: string): ReadinessCheck & { message: string | undefined } {
  const check = {
    name,
    message: message as string | undefined,
    ping: async () => {
      if (check.message !== undefined) {
        throw new Error(check.message);
      }
    },
  };
  return check;
}

async function start(checks: ReadinessCheck[], readAuth: ReadAuth | undefined): Promise<string> {
  const unused = async () => ({});
  server = createHttpServer({
    collector: new Collector(new MemoryLog(1), { maxBatchEvents: 10 }),
    checks,
    maxBodyBytes: 1024,
    bodyMemoryBytes: 1 << 20,
    requestTimeoutMs: 5000,
    ...(readAuth === undefined ? {} : { readAuth }),
    metrics: () => ({}),
    query: unused,
    history: unused,
    dimensions: unused,
    stats: () => ({}),
    publicDir: __dirname,
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
}

async function readyz(url: string, authorization?: string): Promise<{ status: number; text: string; json: unknown; headers: Headers }> {
  const response = await fetch(`${url}/readyz`, { headers: authorization === undefined ? {} : { authorization } });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text), headers: response.headers };
}

const readAuth = () => createReadAuth(parseApiKeys(`acme:${READ_KEY}`, 'PANECAST_READ_KEYS'), SECRET);

describe('with read auth on', () => {
  it('tells a probe without a credential which dependency is down, by name only', async () => {
    const url = await start([failing('kafka', KAFKA_ERROR), failing('redis', ''), failing('victoriametrics', VM_ERROR)], readAuth());
    const answer = await readyz(url);
    expect(answer.status).toBe(503);
    expect(answer.json).toEqual({ ready: false, checks: { kafka: { ok: false }, redis: { ok: false }, victoriametrics: { ok: false } } });
    for (const secret of ['10.1.2.3', '19092', 'vm.internal.example', '18428', 'ECONNREFUSED', 'fetch failed']) {
      expect(answer.text).not.toContain(secret);
    }
    expect(answer.headers.get('cache-control')).toBe('no-store');
    // `Bearer` alone is no credential: the open answer, not a 401.
    expect((await readyz(url, 'Bearer ')).json).toEqual(answer.json);
  });

  it('gives the error text to a reader with a read key', async () => {
    const url = await start([failing('kafka', KAFKA_ERROR), failing('victoriametrics', VM_ERROR)], readAuth());
    const answer = await readyz(url, `Bearer ${READ_KEY}`);
    expect(answer.status).toBe(503);
    expect(answer.json).toEqual({ ready: false, checks: { kafka: { ok: false, error: KAFKA_ERROR }, victoriametrics: { ok: false, error: VM_ERROR } } });
  });

  it('refuses a wrong key as the read routes do', async () => {
    const url = await start([failing('kafka', KAFKA_ERROR)], readAuth());
    const answer = await readyz(url, 'Bearer not-a-read-key-0123456789');
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: { code: 'PANECAST_ERR_READ_KEY_INVALID' } });
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="panecast"');
    expect(answer.text).not.toContain('10.1.2.3');
  });

  it('answers 200 when every check answers', async () => {
    const kafka = failing('kafka', KAFKA_ERROR);
    kafka.message = undefined;
    const url = await start([kafka], readAuth());
    const answer = await readyz(url);
    expect([answer.status, answer.json]).toEqual([200, { ready: true, checks: { kafka: { ok: true } } }]);
  });
});

it('without read auth (no read keys exist) shows no details over HTTP, even to a caller sending a key', async () => {
  const url = await start([failing('kafka', KAFKA_ERROR)], undefined);
  for (const authorization of [undefined, `Bearer ${READ_KEY}`]) {
    const answer = await readyz(url, authorization);
    expect([answer.status, answer.json]).toEqual([503, { ready: false, checks: { kafka: { ok: false } } }]);
  }
});

it('logs a failing check once per change of its error, and its recovery', async () => {
  const kafka = failing('kafka', KAFKA_ERROR);
  const url = await start([kafka], readAuth());
  await readyz(url);
  await readyz(url);
  expect(warn.mock.calls).toEqual([[`readyz: kafka is not ready: ${KAFKA_ERROR}`]]);
  kafka.message = 'Connection error: connect ETIMEDOUT 10.1.2.3:19092';
  await readyz(url);
  kafka.message = undefined;
  await readyz(url);
  await readyz(url);
  expect(warn.mock.calls.slice(1)).toEqual([['readyz: kafka is not ready: Connection error: connect ETIMEDOUT 10.1.2.3:19092'], ['readyz: kafka is ready again']]);
});

it('fails a check that does not answer in time, naming it, instead of holding the probe', async () => {
  // A Redis client queues commands while it reconnects: its ping neither resolves nor rejects for a long time.
  const hanging: ReadinessCheck = { name: 'redis', ping: () => new Promise<void>(() => {}) };
  const answering = failing('kafka', KAFKA_ERROR);
  answering.message = undefined;
  const probe = new ReadinessProbe([answering, hanging], readAuth(), 50);
  const started = Date.now();
  const result = await probe.run({ tenant: 'acme', subject: 'key' });
  expect(Date.now() - started).toBeLessThan(1000);
  expect(result).toEqual({ ready: false, checks: { kafka: { ok: true }, redis: { ok: false, error: 'redis did not answer within 50 ms' } } });
  expect(warn.mock.calls).toEqual([['readyz: redis is not ready: redis did not answer within 50 ms']]);
});
