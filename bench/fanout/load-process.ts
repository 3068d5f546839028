/**
 * The fan-out benchmark's load: N WebSocket clients in one process, apart
 * from the gateway, over loopback.
 *
 *   load-process.ts <port> <series> <secret hex | off> <this process's index k> <processes L>
 *
 * This process runs the clients i ≡ k (mod L), so several processes share
 * the load and each stays under its open-file limit. Client i says hello
 * (a token of its own subject when auth is on) and subscribes to query
 * i mod S. Each update's value is its publish time
 * (nowMs() in the publisher); the client records receive − publish, checks
 * the sequence numbers, and counts error frames and closes. Frames are read
 * with indexOf, not JSON.parse: the load shares two cores with what it
 * measures and must stay cheap per frame.
 *
 * IPC: `grow {to}` opens clients until this process holds `to`, `reset`
 * starts a measurement window, `report` ends it (a mergeable histogram).
 */
import { WebSocket, type RawData } from 'ws';
import { LIVE_PATH, PROTOCOL_VERSION } from '@panecast/protocol';
import { DEFAULT_TENANT, signToken } from '../../backend/src/live/auth';
import { Histogram } from './histogram';
import { bump, nowMs, subscribeQuery, type FromLoad, type GrowDone, type LoadReport, type ToLoad } from './shared';

const [portArg, seriesArg, secretArg, indexArg, processesArg] = process.argv.slice(2) as [string, string, string, string, string];
const INDEX = Number(indexArg);
const PROCESSES = Number(processesArg);
const URL = `ws://127.0.0.1:${portArg}${LIVE_PATH}`;
const SERIES = Number(seriesArg);
const SECRET = secretArg === 'off' ? undefined : Buffer.from(secretArg, 'hex');
const CONNECTING = 200;
/** Source addresses spread over 127.0.0.1–4: ~28 k ephemeral ports per source address. */
const SOURCES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
const SUBSCRIBE_TIMEOUT_MS = 30_000;

interface Client {
  socket: WebSocket;
  lastSeq: number;
  subscribed: boolean;
  closing: boolean;
}

const clients: Client[] = [];
let latencies = new Histogram();
/** Wall second → worst latency in it: shows whether the tail is a few stalls or spread out. */
let worstPerSecond = new Map<number, number>();
let coalesced = 0;
let gaps = 0;
let errorFrames: Record<string, number> = {};
let closes: Record<string, number> = {};
let connectFailures: Record<string, number> = {};

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function send(message: FromLoad): void {
  process.send?.(message);
}

function token(index: number): string {
  if (SECRET === undefined) {
    return 'none';
  }
  const iat = Math.floor(Date.now() / 1000);
  return signToken({ tenant: DEFAULT_TENANT, sub: `bench-client-${index}`, iat, exp: iat + 24 * 3600 }, SECRET);
}

function numberAfter(text: string, label: string): number {
  const at = text.indexOf(label);
  return at < 0 ? Number.NaN : Number.parseFloat(text.slice(at + label.length, at + label.length + 32));
}

function onFrame(client: Client, data: RawData, subscribedNow: () => void): void {
  const received = nowMs();
  // Frames are ASCII JSON here (series and ids are ASCII): latin1 decoding is the cheapest.
  const text = (data as Buffer).toString('latin1');
  if (text.startsWith('{"type":"update"')) {
    const seq = numberAfter(text, '"seq":');
    const latency = received - numberAfter(text, '"value":');
    latencies.record(latency);
    const second = Math.floor(received / 1000);
    if (latency > (worstPerSecond.get(second) ?? 0)) {
      worstPerSecond.set(second, latency);
    }
    if (text.includes('"coalesced":true')) {
      coalesced++;
    } else if (seq !== client.lastSeq + 1) {
      gaps++;
    }
    client.lastSeq = seq;
    return;
  }
  const message = JSON.parse(text) as { type: string; code?: string; seq?: number };
  if (message.type === 'snapshot') {
    client.lastSeq = message.seq ?? -1;
    if (!client.subscribed) {
      client.subscribed = true;
      subscribedNow();
    }
  } else if (message.type === 'error') {
    bump(errorFrames, message.code ?? 'unknown');
  }
}

/** Opens the client of global index `index`; resolves once it is subscribed (snapshot received) or failed. */
function open(index: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(URL, { perMessageDeflate: false, localAddress: SOURCES[index % SOURCES.length], handshakeTimeout: SUBSCRIBE_TIMEOUT_MS });
    const client: Client = { socket, lastSeq: -1, subscribed: false, closing: false };
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      bump(connectFailures, 'no snapshot within 30 s');
      // A client the gateway could not serve in time is given up, not kept half-open.
      client.closing = true;
      socket.terminate();
      settle();
    }, SUBSCRIBE_TIMEOUT_MS);
    socket.on('open', () => {
      clients.push(client);
      socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, token: token(index) }));
      socket.send(JSON.stringify({ type: 'subscribe', id: 'r1', sub: 'A', query: subscribeQuery(index % SERIES) }));
    });
    socket.on('message', (data: RawData) => onFrame(client, data, settle));
    socket.on('error', (error: Error) => {
      if (!settled) {
        bump(connectFailures, error.message.slice(0, 60));
      }
      settle();
    });
    socket.on('close', (code: number) => {
      if (!client.closing) {
        bump(closes, String(code));
      }
      const at = clients.indexOf(client);
      if (at >= 0) {
        clients.splice(at, 1);
      }
      settle();
    });
  });
}

/** Opens clients until this process holds `to`; CONNECTING at a time (so the listen backlog never overflows). */
async function grow(to: number): Promise<GrowDone> {
  const started = performance.now();
  const failuresBefore = { ...connectFailures };
  let next = clients.length;
  // A gateway that fails this many of the new clients is saturated: opening more only deepens its backlog.
  const giveUpAfter = Math.max(100, Math.ceil(0.02 * (to - next)));
  const failedSoFar = () => sum(connectFailures) - sum(failuresBefore);
  const worker = async () => {
    while (next < to && failedSoFar() < giveUpAfter) {
      await open(next++ * PROCESSES + INDEX);
    }
  };
  // Progress, so a slow ramp is visibly slow rather than silent.
  const progress = setInterval(() => console.log(`load ${INDEX}: ${clients.length}/${to} connected after ${((performance.now() - started) / 1000).toFixed(0)} s`), 10_000);
  await Promise.all(Array.from({ length: CONNECTING }, worker));
  clearInterval(progress);
  const failures: Record<string, number> = {};
  for (const [reason, n] of Object.entries(connectFailures)) {
    const added = n - (failuresBefore[reason] ?? 0);
    if (added > 0) {
      failures[reason] = added;
    }
  }
  return { type: 'grown', connected: clients.length, subscribed: clients.filter((c) => c.subscribed).length, ms: performance.now() - started, failures };
}

function report(): LoadReport {
  return {
    type: 'report',
    connected: clients.length,
    latencies: latencies.toJSON(),
    worstPerSecond: [...worstPerSecond],
    coalesced,
    gaps,
    errorFrames,
    closes,
    connectFailures,
  };
}

function reset(): void {
  latencies = new Histogram();
  worstPerSecond = new Map();
  coalesced = 0;
  gaps = 0;
  errorFrames = {};
  closes = {};
  connectFailures = {};
}

process.on('message', (message: ToLoad) => {
  switch (message.type) {
    case 'grow':
      void grow(message.to).then(send);
      return;
    case 'reset':
      reset();
      return;
    case 'report':
      send(report());
      return;
    case 'stop':
      for (const client of clients) {
        client.closing = true;
        client.socket.terminate();
      }
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
