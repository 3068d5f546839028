/**
 * The load: server-metrics events (http_request: service, route, method,
 * status, duration_ms, host; event time now − up to 1.5 s), pre-rendered so
 * that building a batch costs one string concatenation per event and the load
 * leaves the cores to what it measures; POSTed as NDJSON by `concurrency`
 * loops over keep-alive loopback connections.
 */
import { Agent, request } from 'node:http';
import { MAX_EVENTS_PER_RECORD } from '../../backend/src/collect/event-records';
import { random } from '../lib';
import { BATCH, CONCURRENCY, sleep } from './options';

const SERVICE_NAMES = ['api-gateway', 'auth', 'cart', 'catalog', 'checkout', 'payments', 'search', 'users'];
const ROUTES = ['/v1/items', '/v1/items/:id', '/v1/orders', '/v1/orders/:id', '/v1/login', '/v1/session', '/v1/search', '/v1/cart', '/v1/cart/items', '/v1/pay', '/v1/profile', '/healthz'];
const METHODS: Array<[string, number]> = [['GET', 0.7], ['POST', 0.2], ['PUT', 0.05], ['DELETE', 0.05]];
const STATUSES: Array<[number, number]> = [[200, 0.88], [201, 0.04], [304, 0.02], [404, 0.03], [500, 0.02], [503, 0.01]];
/** Event time trails the wall clock by up to this much: within the default 2 s out-of-orderness. */
const JITTER_MS = 1500;
/** Distinct event bodies (everything after `ts`), cycled through; one batch starts anywhere. */
export const TEMPLATES = 50_000;

function weighted<T>(next: () => number, table: ReadonlyArray<[T, number]>): T {
  let roll = next();
  for (const [value, weight] of table) {
    roll -= weight;
    if (roll <= 0) {
      return value;
    }
  }
  return (table[0] as [T, number])[0];
}

function eventTemplates(): { tails: string[]; recordTails: string[]; jitter: Int32Array } {
  const next = random(7);
  const tails: string[] = [];
  const recordTails: string[] = [];
  const jitter = new Int32Array(TEMPLATES);
  for (let i = 0; i < TEMPLATES; i++) {
    const service = SERVICE_NAMES[Math.floor(next() * SERVICE_NAMES.length)] as string;
    const status = weighted(next, STATUSES);
    // Log-normal latency around 40 ms; errors slower.
    const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const duration = Math.exp(Math.log(status >= 500 ? 120 : 40) + 0.8 * z);
    const fields = {
      service,
      route: ROUTES[Math.floor(next() * ROUTES.length)] as string,
      method: weighted(next, METHODS),
      status,
      duration_ms: Number(duration.toFixed(2)),
      host: `${service}-${Math.floor(next() * 6)}`,
    };
    tails.push(`,${JSON.stringify(fields).slice(1)}\n`);
    // The log's wire form (encodeEvent): {type, ts, tsSource, fields}.
    recordTails.push(`,"tsSource":"event","fields":${JSON.stringify(fields)}}`);
    jitter[i] = Math.floor(next() * JITTER_MS);
  }
  return { tails, recordTails, jitter };
}

const templates = eventTemplates();

function ndjsonBatch(start: number, now: number): string {
  let body = '';
  for (let i = 0; i < BATCH; i++) {
    const k = (start + i) % TEMPLATES;
    body += `{"type":"http_request","ts":${now - (templates.jitter[k] as number)}${templates.tails[k] as string}`;
  }
  return body;
}

/**
 * The records the collector would append for one batch: values as encodeEvent
 * writes them, one key (the type), packed as RecordPacker packs them.
 */
export function recordBatch(start: number, now: number): Array<{ key: string; value: string; timestamp: number }> {
  const records: Array<{ key: string; value: string; timestamp: number }> = [];
  for (let first = 0; first < BATCH; first += MAX_EVENTS_PER_RECORD) {
    const values: string[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = first; i < Math.min(BATCH, first + MAX_EVENTS_PER_RECORD); i++) {
      const k = (start + i) % TEMPLATES;
      const ts = now - (templates.jitter[k] as number);
      oldest = Math.min(oldest, ts);
      values.push(`{"type":"http_request","ts":${ts}${templates.recordTails[k] as string}`);
    }
    records.push({ key: 'http_request', value: values.length === 1 ? (values[0] as string) : `[${values.join(',')}]`, timestamp: oldest });
  }
  return records;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export function http(agent: Agent, url: string, method: 'GET' | 'POST', body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export interface LoadResult {
  accepted: number;
  requests: number;
  failures: Record<string, number>;
  latenciesMs: number[];
  ms: number;
}

/** `concurrency` loops POSTing batches until `ms` has passed (each stops after its answer). */
export async function load(url: string, agent: Agent, ms: number, seed: number): Promise<LoadResult> {
  const next = random(seed);
  const result: LoadResult = { accepted: 0, requests: 0, failures: {}, latenciesMs: [], ms: 0 };
  const started = performance.now();
  const deadline = started + ms;
  const loop = async () => {
    while (performance.now() < deadline) {
      const body = ndjsonBatch(Math.floor(next() * TEMPLATES), Date.now());
      const sent = performance.now();
      let answer: HttpAnswer;
      try {
        answer = await http(agent, `${url}/v1/events`, 'POST', body);
      } catch (error) {
        const key = (error as Error).message.slice(0, 80);
        result.failures[key] = (result.failures[key] ?? 0) + 1;
        await sleep(100);
        continue;
      }
      result.requests++;
      result.latenciesMs.push(performance.now() - sent);
      if (answer.status === 202) {
        result.accepted += (JSON.parse(answer.body) as { accepted: number }).accepted;
      } else {
        const key = `${answer.status} ${answer.body.slice(0, 120)}`;
        result.failures[key] = (result.failures[key] ?? 0) + 1;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  result.ms = performance.now() - started;
  return result;
}
