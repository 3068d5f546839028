/**
 * The live channel across processes, on the real Kafka and Redis: three
 * backend processes (each a collector, processor, composer candidate and
 * gateway) in one consumer group; clients spread across their gateways watch
 * the same query. Every client must see the same frames under the same seq
 * numbers. Then one process is killed (SIGKILL): its clients reconnect to
 * another gateway, resume from their last seq, and end with every window
 * right and no gap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { checkSequence, LIVE_PATH, parseServerMessage, PROTOCOL_VERSION, type SequencedMessage, type ServerMessage, type SubscribeQuery } from '@panecast/protocol';
import { signToken } from '../../src/live/auth';
import { backendUrl } from '../backend-url';
import { uniqueType, waitFor } from '../support';
import { KAFKA_BROKERS, REDIS_URL, VM_URL } from './services-env';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
const SECRET = 'a-test-secret-of-at-least-thirty-two-bytes';
const WRITE_KEY = 'gateways-test-write-key';

interface Backend {
  name: string;
  child: ChildProcess;
  url: string;
}

async function startBackend(name: string, topic: string, group: string): Promise<Backend> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PANECAST_MODE: 'services',
      PANECAST_PORT: '0',
      PANECAST_INSTANCE_ID: name,
      PANECAST_KAFKA_BROKERS: KAFKA_BROKERS,
      PANECAST_REDIS_URL: REDIS_URL,
      PANECAST_VM_URL: VM_URL,
      PANECAST_KAFKA_TOPIC: topic,
      PANECAST_KAFKA_GROUP: group,
      PANECAST_KAFKA_PARTITIONS: '3',
      PANECAST_OUT_OF_ORDERNESS_MS: '500',
      PANECAST_IDLE_MS: '1000',
      PANECAST_ALLOWED_LATENESS_MS: '2000',
      PANECAST_TOKEN_SECRETS: SECRET,
      PANECAST_API_KEYS: `default:${WRITE_KEY}`,
      PANECAST_LIVE_HEARTBEAT_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await backendUrl(child, name);
  return { name, child, url };
}

/** A client that applies the sequence rule and resumes on another gateway when told to. */
class Client {
  readonly applied = new Map<number, string>();
  readonly values = new Map<string, number>();
  readonly events: string[] = [];
  last: number | undefined;
  private socket: WebSocket | undefined;
  gaps = 0;

  constructor(
    private readonly token: string,
    private readonly query: SubscribeQuery,
  ) {}

  async connect(url: string): Promise<void> {
    const socket = new WebSocket(url.replace(/^http/, 'ws') + LIVE_PATH);
    this.socket = socket;
    socket.on('message', (data) => this.receive(parseServerMessage(String(data)), String(data)));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, token: this.token }));
    const subscribe = { type: 'subscribe', id: 'r', sub: 'A', query: this.query, ...(this.last === undefined ? {} : { resume: { seq: this.last } }) };
    socket.send(JSON.stringify(subscribe));
  }

  private receive(message: ServerMessage | undefined, text: string): void {
    if (message === undefined) {
      return;
    }
    if (message.type === 'subscribed') {
      this.events.push(message.resumed ? 'resumed' : 'snapshot');
    }
    if (message.type !== 'snapshot' && message.type !== 'update' && message.type !== 'correction') {
      return;
    }
    const sequenced = message as SequencedMessage;
    const verdict = checkSequence(this.last, sequenced);
    if (verdict === 'gap') {
      this.gaps++;
      return;
    }
    if (verdict === 'duplicate') {
      return;
    }
    if (message.type === 'snapshot') {
      for (const window of message.windows) {
        this.values.set(`${window.window.start}`, window.value);
      }
      this.last = message.seq;
      return;
    }
    const seq = message.seq as number;
    // Frame identity for cross-client comparison: everything but the sub id, and the coalesced mark
    // (a gateway or client that fell behind sends the same frame marked, in place of superseded ones).
    this.applied.set(seq, text.replace('"sub":"A",', '').replace(',"coalesced":true', ''));
    this.values.set(`${message.window.start}`, message.value);
    this.last = seq;
  }

  close(): void {
    this.socket?.terminate();
  }
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const backend of backends) {
    backend.child.kill('SIGTERM');
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
});

test('three gateways serve identical numbered frames, and a killed gateway\'s clients resume elsewhere without a gap', async () => {
  const run = `${Date.now().toString(36)}-${process.pid}`;
  const topic = `panecast.test.gateways-${run}`;
  const group = `panecast-test-gateways-${run}`;
  // One after the other: the first creates the topic.
  for (const name of ['gw-1', 'gw-2', 'gw-3']) {
    backends.push(await startBackend(name, topic, group));
  }
  const [gw1, gw2, gw3] = backends as [Backend, Backend, Backend];
  const type = uniqueType('gw');
  const query: SubscribeQuery = { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: 1000 }, groupBy: ['type'], filter: { type } };
  const now = Math.floor(Date.now() / 1000);
  const token = signToken({ tenant: 'default', sub: 'dashboard', exp: now + 600, iat: now }, SECRET);
  const clients = [gw1, gw1, gw2, gw2, gw3, gw3].map(() => new Client(token, query));
  await Promise.all(clients.map((client, i) => client.connect((backends[Math.floor(i / 2)] as Backend).url)));

  let sent = 0;
  const post = async (count: number) => {
    const body = Array.from({ length: count }, () => JSON.stringify({ type, ts: Date.now() })).join('\n');
    const response = await fetch(`${gw1.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${WRITE_KEY}` }, body });
    expect(response.status).toBe(202);
    sent += count;
  };
  for (let i = 0; i < 6; i++) {
    await post(5 + i);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  const total = (client: Client) => [...client.values.values()].reduce((sum, v) => sum + v, 0);
  await waitFor(() => (clients.every((client) => total(client) === sent) ? true : undefined), `every client to count ${sent}`, 30_000);

  // Same seq, same frame, on every gateway.
  const reference = clients[0] as Client;
  for (const client of clients) {
    let shared = 0;
    for (const [seq, text] of client.applied) {
      if (reference.applied.has(seq)) {
        expect(text).toBe(reference.applied.get(seq));
        shared++;
      }
    }
    // The comparison covers the stream, not a stray frame or two.
    expect(shared).toBeGreaterThanOrEqual(6);
    expect(client.gaps).toBe(0);
  }

  // Kill gw-2 mid-stream; its clients move to gw-3 and resume.
  gw2.child.kill('SIGKILL');
  const moved = clients.slice(2, 4);
  for (let i = 0; i < 4; i++) {
    await post(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  for (const client of moved) {
    client.close();
    await client.connect(gw3.url);
  }
  for (let i = 0; i < 4; i++) {
    await post(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  // gw-2's partitions are reassigned after the group's session timeout; their events then arrive too.
  await waitFor(() => (clients.every((client) => total(client) === sent) ? true : undefined), `every client to count ${sent} after the kill`, 60_000).catch(
    (error: Error) => {
      throw new Error(`${error.message}; totals ${clients.map(total).join(', ')}`);
    },
  );
  for (const client of moved) {
    // Resumed from the replay ring, not a fresh snapshot.
    expect(client.events).toEqual(['snapshot', 'resumed']);
    expect(client.gaps).toBe(0);
  }
  for (const client of clients) {
    for (const [seq, text] of client.applied) {
      if (reference.applied.has(seq)) {
        expect(text).toBe(reference.applied.get(seq));
      }
    }
  }
}, 120_000);
