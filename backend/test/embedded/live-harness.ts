/**
 * In-process harness for the live gateway's public-behaviour tests: an HTTP
 * server on port 0 with a LiveGateway over a MemoryLiveBus (unless a test
 * brings its own bus, e.g. a Redis one) and a MemoryConnectionLedger (unless
 * a test brings its own), the shipped
 * metric definitions plus one tenant-namespaced metric, and a WebSocket test
 * client that records every frame and holds each subscription to the
 * client-side sequence rule (checkSequence). The test plays the composer:
 * it publishes numbered frames on the bus itself. A query's numbering starts
 * at the clock (live-bus.ts numberingBase), so tests name seqs relative to
 * it: `h.seq(query, n)` is the query's n-th frame published.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  LIVE_PATH,
  PROTOCOL_VERSION,
  checkSequence,
  parseServerMessage,
  toEngineQuery,
  type ServerMessage,
  type SubscribeQuery,
  type WindowSpan,
} from '@panecast/protocol';
import { signToken, type TokenClaims } from '../../src/live/auth';
import type { ConnectionLedger } from '../../src/live/connection-ledger';
import { GATEWAY_DEFAULTS, LiveGateway, type GatewayOptions } from '../../src/live/gateway';
import type { LiveBus, NewFrame } from '../../src/live/live-bus';
import { MemoryConnectionLedger } from '../../src/live/memory-connection-ledger';
import { MemoryLiveBus } from '../../src/live/memory-live-bus';
import { loadMetricFiles } from '../../src/metrics-files';
import { combineDefinitions, compileQuery, parseMetricDefinitions, type MetricDefinition } from '../../src/window';

export const PANE_MS = 1000;
export const SECRET = 'test-secret-of-at-least-32-bytes!!';
/** A fixed, pane-aligned event time for the windows the tests publish. */
export const T0 = 1_700_000_000_000;

/** The shipped metrics (tenant `default`) plus one metric of tenant `acme`. */
export const DEFINITIONS: readonly MetricDefinition[] = combineDefinitions([
  loadMetricFiles(join(__dirname, '..', '..', 'metrics')),
  parseMetricDefinitions(
    {
      metrics: [
        {
          name: 'acme__checkout_ms',
          description: 'Checkout latency of tenant acme',
          unit: 'ms',
          match: { type: 'checkout' },
          measure: 'ms',
          quantiles: true,
          dimensions: ['region'],
          cardinalityCap: 100,
        },
      ],
    },
    'acme.yaml',
  ),
]);

/** Events per second by type: the query most tests watch. */
export const EVENTS: SubscribeQuery = { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'] };
export const SERVERS: SubscribeQuery = { metric: 'http_requests', aggregate: 'count', window: { type: 'sliding', size: 2000, slide: 1000 }, groupBy: ['service'] };

/** The bus key the gateway files a query under, as the composer computes it. */
export function keyOf(query: SubscribeQuery): string {
  return compileQuery(toEngineQuery(query), DEFINITIONS, PANE_MS).key;
}

export function span(start: number, size = 1000): WindowSpan {
  return { start, end: start + size };
}

export function update(series: Record<string, string>, start: number, value: number, final = false): NewFrame {
  return { kind: 'update', series, window: span(start), value, final };
}

export function correction(series: Record<string, string>, start: number, value: number): NewFrame {
  return { kind: 'correction', series, window: span(start), value, final: true };
}

export function token(claims: Partial<TokenClaims> = {}, secret: string = SECRET): string {
  const nowSec = Math.floor(Date.now() / 1000);
  return signToken({ tenant: 'default', sub: 'user-1', iat: nowSec - 5, exp: nowSec + 3600, ...claims }, secret);
}

export type HarnessOptions = Partial<GatewayOptions> & { ledger?: ConnectionLedger; bus?: LiveBus };

export interface Harness {
  url: string;
  bus: LiveBus;
  gateway: LiveGateway;
  ledger: ConnectionLedger;
  options: GatewayOptions;
  /** Publishes frames of a query as the composer would; resolves with the last seq. */
  publish(query: SubscribeQuery, frames: readonly NewFrame[]): Promise<number>;
  /** The seq of the n-th frame published here of the query (n = 0: the seq before the first; on a new bus, its numbering's base). */
  seq(query: SubscribeQuery, n: number): number;
  connect(options?: { origin?: string; autoPong?: boolean }): Promise<TestClient>;
  close(): Promise<void>;
}

export async function startHarness({ ledger = new MemoryConnectionLedger(60_000), bus: given, ...overrides }: HarnessOptions = {}): Promise<Harness> {
  const options: GatewayOptions = {
    ...GATEWAY_DEFAULTS,
    instanceId: 'gw-test',
    paneMs: PANE_MS,
    maxLiveWindowMs: 3_600_000,
    secrets: [],
    allowedOrigins: ['*'],
    heartbeatMs: 60_000,
    helloTimeoutMs: 2000,
    firstFramesTimeoutMs: 300,
    slowCloseMs: 1000,
    leaseRenewMs: 60_000,
    ...overrides,
  };
  const bus = given ?? new MemoryLiveBus({ replayFrames: options.limits.replayFrames, queryLeaseMs: 60_000 });
  // The test publishes as the composer, which only the lease holder may.
  await bus.lead('test-composer', Number.MAX_SAFE_INTEGER);
  /** Query key → the seq before its first frame published here. */
  const bases = new Map<string, number>();
  const gateway = new LiveGateway(bus, ledger, DEFINITIONS, options);
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  gateway.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: TestClient[] = [];
  return {
    url,
    bus,
    gateway,
    ledger,
    options,
    async publish(query, frames) {
      const last = await bus.publish(keyOf(query), frames, Number.NEGATIVE_INFINITY);
      if (!bases.has(keyOf(query))) {
        bases.set(keyOf(query), last - frames.length);
      }
      return last;
    },
    seq(query, n) {
      const base = bases.get(keyOf(query));
      if (base === undefined) {
        throw new Error(`no frame of ${keyOf(query)} published yet: its numbering has no base`);
      }
      return base + n;
    },
    async connect(connectOptions = {}) {
      const client = await TestClient.open(url, connectOptions);
      clients.push(client);
      return client;
    },
    async close() {
      clients.forEach((client) => client.socket.terminate());
      await gateway.close();
      await bus.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Closed {
  code: number;
  reason: string;
  /** Date.now() when the close arrived. */
  at: number;
}

/** A frame as received: its text, the decoded message and when it arrived. */
export interface Received {
  text: string;
  message: ServerMessage;
  at: number;
}

/**
 * A protocol-v2 client for tests. Every frame must decode with
 * parseServerMessage; every sequenced frame goes through checkSequence and
 * anything but `apply` is recorded in `violations`.
 */
export class TestClient {
  readonly received: Received[] = [];
  readonly violations: string[] = [];
  /** The last seq applied per subscription (the client's state). */
  readonly lastSeq = new Map<string, number>();
  readonly closed: Promise<Closed>;
  closeInfo: Closed | undefined;
  /** Request id → the seq a subscribe asked to resume from: where a resumed subscription starts. */
  private readonly resumes = new Map<string, number>();
  private cursor = 0;
  private wake: (() => void) | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => this.onFrame(String(data), isBinary));
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString(), at: Date.now() };
        resolve(this.closeInfo);
        this.wake?.();
      });
    });
    socket.on('error', () => undefined);
  }

  static open(url: string, options: { origin?: string; autoPong?: boolean } = {}): Promise<TestClient> {
    const socket = new WebSocket(url.replace(/^http/, 'ws') + LIVE_PATH, {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      autoPong: options.autoPong ?? true,
    });
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  private onFrame(text: string, isBinary: boolean): void {
    const message = parseServerMessage(text);
    if (isBinary || message === undefined) {
      this.violations.push(`undecodable frame: ${text.slice(0, 200)}`);
      return;
    }
    if (message.type === 'snapshot') {
      this.lastSeq.set(message.sub, message.seq);
    } else if ((message.type === 'update' || message.type === 'correction') && message.sub !== undefined) {
      const verdict = checkSequence(this.lastSeq.get(message.sub), message);
      if (verdict === 'apply') {
        this.lastSeq.set(message.sub, message.seq as number);
      } else {
        this.violations.push(`${verdict}: sub ${message.sub} seq ${message.seq} after ${this.lastSeq.get(message.sub)}`);
      }
    } else if (message.type === 'unsubscribed') {
      this.lastSeq.delete(message.sub);
    } else if (message.type === 'subscribed' && message.resumed) {
      const seq = this.resumes.get(message.id);
      if (seq === undefined) {
        this.violations.push(`resumed without a resume: ${text}`);
      } else {
        this.lastSeq.set(message.sub, seq);
      }
    }
    this.received.push({ text, message, at: Date.now() });
    this.wake?.();
  }

  send(frame: object | string): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    this.noteResume(text);
    this.socket.send(text);
  }

  /** Remembers the seq a subscribe resumes from (fuzzed frames included), to check what follows. */
  private noteResume(text: string): void {
    try {
      const frame = JSON.parse(text) as { type?: unknown; id?: unknown; resume?: { seq?: unknown } };
      if (frame.type === 'subscribe' && typeof frame.id === 'string' && typeof frame.resume?.seq === 'number') {
        this.resumes.set(frame.id, frame.resume.seq);
      }
    } catch {
      // Not JSON: the gateway refuses it too.
    }
  }

  hello(token = 'anonymous'): void {
    this.send({ type: 'hello', version: PROTOCOL_VERSION, token });
  }

  /** Sends hello and waits for welcome. */
  async open(token?: string): Promise<ServerMessage> {
    this.hello(token);
    const welcome = await this.next();
    if (welcome.type !== 'welcome') {
      throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    }
    return welcome;
  }

  subscribe(sub: string, query: SubscribeQuery, extra: { id?: string; resume?: { seq: number } } = {}): void {
    this.send({ type: 'subscribe', id: extra.id ?? `r-${sub}`, sub, query, ...(extra.resume === undefined ? {} : { resume: extra.resume }) });
  }

  /** Frames received and not yet taken by next(). */
  get pending(): Received[] {
    return this.received.slice(this.cursor);
  }

  private async until(ready: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out after ${ms} ms waiting for ${what}; pending: ${this.pending.map((r) => r.text.slice(0, 160)).join(' | ')}; closed: ${JSON.stringify(this.closeInfo)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** The next frame not taken yet. */
  async nextReceived(ms = 2000): Promise<Received> {
    await this.until(() => this.cursor < this.received.length, ms, 'a frame');
    return this.received[this.cursor++] as Received;
  }

  async next(ms = 2000): Promise<ServerMessage> {
    return (await this.nextReceived(ms)).message;
  }

  /** The next `count` frames. */
  async take(count: number, ms = 2000): Promise<ServerMessage[]> {
    const out: ServerMessage[] = [];
    for (let i = 0; i < count; i++) {
      out.push(await this.next(ms));
    }
    return out;
  }

  /** Asserts that no frame arrives within `ms` (after a round trip, so frames in flight are counted). */
  async quiet(ms = 150): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.socket.readyState === WebSocket.OPEN) {
      const id = `q${Date.now()}`;
      this.send({ type: 'ping', id });
      const pong = await this.next();
      if (pong.type !== 'pong' || pong.id !== id) {
        throw new Error(`expected no frame, got ${JSON.stringify(pong)}`);
      }
    } else if (this.pending.length > 0) {
      throw new Error(`expected no frame, got ${this.pending[0]?.text}`);
    }
  }

  /** Waits until the socket is closed. */
  async closedWithin(ms = 2000): Promise<Closed> {
    await this.until(() => this.closeInfo !== undefined, ms, 'the close');
    return this.closeInfo as Closed;
  }
}

/** Attempts an upgrade that the gateway refuses: its HTTP status and JSON body. */
export function refusedUpgrade(url: string, headers: Record<string, string>, path = LIVE_PATH): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws') + path, { headers });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => undefined);
    socket.on('unexpected-response', (_request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
