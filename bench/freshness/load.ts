/**
 * Open-loop background load for the freshness benchmark: NDJSON batches of
 * `http_request` events (the shipped server metrics' input; event time =
 * send time) POSTed to the collector at a target rate over keep-alive
 * loopback connections. Batches go out on schedule whatever the answers
 * take, up to MAX_IN_FLIGHT at once; when the collector cannot keep up, the
 * shortfall is skipped (not queued into a burst) and shows as the accepted
 * rate falling below the target.
 */
import { Agent, request } from 'node:http';
import { random } from '../lib';

const TEMPLATES = 20_000;
const MAX_IN_FLIGHT = 16;
const TICK_MS = 5;
const SERVICES = ['api-gateway', 'auth', 'cart', 'catalog', 'checkout', 'payments', 'search', 'users'];
const ROUTES = ['/v1/items', '/v1/items/:id', '/v1/orders', '/v1/login', '/v1/search', '/v1/cart', '/v1/pay', '/v1/profile', '/healthz'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT'];

/** Pre-rendered event tails (everything after `ts`), so a batch costs one concatenation per event. */
const tails: string[] = (() => {
  const next = random(11);
  const list: string[] = [];
  for (let i = 0; i < TEMPLATES; i++) {
    const status = next() < 0.97 ? 200 : 503;
    const fields = {
      service: SERVICES[Math.floor(next() * SERVICES.length)] as string,
      route: ROUTES[Math.floor(next() * ROUTES.length)] as string,
      method: METHODS[Math.floor(next() * METHODS.length)] as string,
      status,
      duration_ms: Number((Math.exp(Math.log(40) + 0.8 * (next() * 2 - 1)) * (status === 200 ? 1 : 3)).toFixed(2)),
      client_id: `c${Math.floor(next() * 5000)}`,
    };
    list.push(`,${JSON.stringify(fields).slice(1)}\n`);
  }
  return list;
})();

export interface PostAnswer {
  status: number;
  body: string;
}

export function post(agent: Agent, url: string, body: string, contentType: string): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('POST timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export interface LoadCounters {
  accepted: number;
  batches: number;
  /** Batches due while MAX_IN_FLIGHT were outstanding: the collector fell behind. */
  skipped: number;
  failures: Record<string, number>;
  postMs: number[];
}

export class BackgroundLoad {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  private timer: NodeJS.Timeout | undefined;
  private rate = 0;
  private since = 0;
  private issued = 0;
  private inFlight = 0;
  private cursor = 0;
  counters: LoadCounters = { accepted: 0, batches: 0, skipped: 0, failures: {}, postMs: [] };

  constructor(
    private readonly url: string,
    private readonly batch: number,
  ) {}

  /** Events per second from now on (0 stops the load). */
  setRate(rate: number): void {
    this.rate = rate;
    this.since = performance.now();
    this.issued = 0;
    clearInterval(this.timer);
    if (rate > 0) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
    }
  }

  resetCounters(): LoadCounters {
    const counters = this.counters;
    this.counters = { accepted: 0, batches: 0, skipped: 0, failures: {}, postMs: [] };
    return counters;
  }

  private tick(): void {
    const due = Math.floor((((performance.now() - this.since) / 1000) * this.rate) / this.batch);
    while (this.issued < due) {
      this.issued++;
      if (this.inFlight >= MAX_IN_FLIGHT) {
        this.counters.skipped++;
        continue;
      }
      void this.send();
    }
  }

  private body(): string {
    const now = Date.now();
    let text = '';
    for (let i = 0; i < this.batch; i++) {
      text += `{"type":"http_request","ts":${now}${tails[(this.cursor + i) % TEMPLATES] as string}`;
    }
    this.cursor = (this.cursor + this.batch) % TEMPLATES;
    return text;
  }

  private async send(): Promise<void> {
    this.inFlight++;
    const counters = this.counters;
    const started = performance.now();
    try {
      const answer = await post(this.agent, `${this.url}/v1/events`, this.body(), 'application/x-ndjson');
      counters.postMs.push(performance.now() - started);
      if (answer.status === 202) {
        counters.accepted += (JSON.parse(answer.body) as { accepted: number }).accepted;
        counters.batches++;
      } else {
        const key = `${answer.status} ${answer.body.slice(0, 80)}`;
        counters.failures[key] = (counters.failures[key] ?? 0) + 1;
      }
    } catch (error) {
      const key = (error as Error).message.slice(0, 80);
      counters.failures[key] = (counters.failures[key] ?? 0) + 1;
    } finally {
      this.inFlight--;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.agent.destroy();
  }
}
