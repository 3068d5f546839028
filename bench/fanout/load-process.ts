/**
 * The fan-out benchmark's load: N WebSocket clients in one process, apart
 * from the gateway, over loopback.
 *
 *   load-process.ts <port> <series> <secret hex | off> <this process's index k> <processes L> [subs K]
 *
 * This process runs the clients i ≡ k (mod L), so several processes share
 * the load and each stays under its open-file limit. Client i says hello
 * (a token of its own subject when auth is on) and subscribes to query
 * i mod S, or, with K subscriptions per client (a dashboard of K panels),
 * to K distinct queries (i + j·⌊S/K⌋) mod S under sub ids A, B, …, each
 * with its own seq check. Each update's value is its publish time
 * (nowMs() in the publisher); the client records receive − publish, checks
 * the sequence numbers of every frame, and counts error frames and closes.
 * The load shares two cores with what it measures and must stay cheap per
 * frame: the clients are LeanWebSockets (lean-client.ts: one shared read
 * buffer, no per-message Buffer), and an update is read in place, its seq
 * and value parsed from the bytes, never JSON.parse'd; only the rare other
 * frames (welcome, snapshot, errors) are parsed.
 *
 * IPC: `grow {to}` opens clients until this process holds `to`, `reset`
 * starts a measurement window, `report` ends it (a mergeable histogram).
 */
import { LIVE_PATH, PROTOCOL_VERSION } from '@panecast/protocol';
import { DEFAULT_TENANT, signToken } from '../../backend/src/live/auth';
import { Histogram } from './histogram';
import { LeanWebSocket } from './lean-client';
import { bump, nowMs, subscribeQuery, type FromLoad, type GrowDone, type LoadReport, type ToLoad } from './shared';

const [portArg, seriesArg, secretArg, indexArg, processesArg, subsArg = '1'] = process.argv.slice(2) as [string, string, string, string, string, string?];
const INDEX = Number(indexArg);
const PROCESSES = Number(processesArg);
const PORT = Number(portArg);
const SERIES = Number(seriesArg);
/** Subscriptions per client, sub ids 'A' onwards (one character: read in place from the frame). */
const SUBS = Number(subsArg);
const SUB_A = 'A'.charCodeAt(0);
const SECRET = secretArg === 'off' ? undefined : Buffer.from(secretArg, 'hex');
const CONNECTING = 200;
/** Source addresses spread over 127.0.0.1–4: ~28 k ephemeral ports per source address. */
const SOURCES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
const SUBSCRIBE_TIMEOUT_MS = 30_000;

interface Client {
  socket: LeanWebSocket;
  /** Per subscription (index = sub id − 'A'). */
  lastSeqs: number[];
  snapshots: number;
  subscribed: boolean;
}

const clients = new Set<Client>();
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

// Numbered frames, as the gateway writes them: `{"type":"update","sub":…,"seq":N,…,"value":V,…}`,
// `,"coalesced":true}` appended to a coalesced one.
const UPDATE = Buffer.from('{"type":"update",');
const CORRECTION = Buffer.from('{"type":"correction",');
const SEQ = Buffer.from('"seq":');
const VALUE = Buffer.from('"value":');
const COALESCED = Buffer.from(',"coalesced":true}');
/** What precedes the sub id's one character in both frame kinds (`{"type":"…","sub":"A"`). */
const SUB = Buffer.from('"sub":"');

function startsWith(bytes: Buffer, start: number, end: number, prefix: Buffer): boolean {
  return end - start >= prefix.length && bytes.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
}

/** The JSON number at `at` (digits, one point, no exponent: seqs and epoch milliseconds); NaN if none. */
function numberAt(bytes: Buffer, at: number, end: number): number {
  let whole = 0;
  let fraction = 0;
  let scale = 1;
  let digits = 0;
  let point = false;
  for (let i = at; i < end; i++) {
    const c = bytes[i] as number;
    if (c >= 48 && c <= 57) {
      digits++;
      if (point) {
        fraction = fraction * 10 + (c - 48);
        scale *= 10;
      } else {
        whole = whole * 10 + (c - 48);
      }
    } else if (c === 46 && !point) {
      point = true;
    } else if (c === 101 || c === 69 || c === 45) {
      return Number(bytes.toString('latin1', at, Math.min(end, at + 32)).match(/^-?[\d.]+(e[-+]?\d+)?/i)?.[0]);
    } else {
      break;
    }
  }
  return digits === 0 ? Number.NaN : whole + fraction / scale;
}

/** The number after `label` within [start, end). */
function numberAfter(bytes: Buffer, start: number, end: number, label: Buffer): number {
  const at = bytes.indexOf(label, start);
  return at < 0 || at >= end ? Number.NaN : numberAt(bytes, at + label.length, end);
}

function onFrame(client: Client, bytes: Buffer, start: number, end: number, subscribedNow: () => void): void {
  const received = nowMs();
  const update = startsWith(bytes, start, end, UPDATE);
  if (update || startsWith(bytes, start, end, CORRECTION)) {
    const seq = numberAfter(bytes, start, end, SEQ);
    if (update) {
      const latency = received - numberAfter(bytes, start, end, VALUE);
      latencies.record(latency);
      const second = Math.floor(received / 1000);
      if (latency > (worstPerSecond.get(second) ?? 0)) {
        worstPerSecond.set(second, latency);
      }
    }
    const at = bytes.indexOf(SUB, start);
    const sub = at < 0 || at + SUB.length >= end ? 0 : (bytes[at + SUB.length] as number) - SUB_A;
    if (end - start >= COALESCED.length && bytes.compare(COALESCED, 0, COALESCED.length, end - COALESCED.length, end) === 0) {
      coalesced++;
    } else if (seq !== (client.lastSeqs[sub] ?? Number.NaN) + 1) {
      gaps++;
    }
    client.lastSeqs[sub] = seq;
    return;
  }
  const message = JSON.parse(bytes.toString('utf8', start, end)) as { type: string; code?: string; seq?: number; sub?: string };
  if (message.type === 'snapshot') {
    client.lastSeqs[(message.sub ?? 'A').charCodeAt(0) - SUB_A] = message.seq ?? -1;
    client.snapshots++;
    if (!client.subscribed && client.snapshots >= SUBS) {
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
    let settled = false;
    let client: Client | undefined;
    const settle = () => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve();
      }
    };
    const socket = new LeanWebSocket(
      { port: PORT, host: '127.0.0.1', path: LIVE_PATH, localAddress: SOURCES[index % SOURCES.length] as string },
      {
        open: () => {
          client = { socket, lastSeqs: new Array<number>(SUBS).fill(-1), snapshots: 0, subscribed: false };
          clients.add(client);
          socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, token: token(index) }));
          const stride = Math.max(1, Math.floor(SERIES / SUBS));
          for (let j = 0; j < SUBS; j++) {
            const sub = String.fromCharCode(SUB_A + j);
            socket.send(JSON.stringify({ type: 'subscribe', id: `r${j}`, sub, query: subscribeQuery((index + j * stride) % SERIES) }));
          }
        },
        text: (bytes, start, end) => onFrame(client as Client, bytes, start, end, settle),
        error: (error) => {
          if (!settled) {
            bump(connectFailures, error.message.slice(0, 60));
          }
          settle();
        },
        // Not called after terminate(): a client this process drops is no close to count.
        close: (code) => {
          bump(closes, String(code));
          if (client !== undefined) {
            clients.delete(client);
          }
          settle();
        },
      },
    );
    const timer = setTimeout(() => {
      bump(connectFailures, 'no snapshot within 30 s');
      // A client the gateway could not serve in time is given up, not kept half-open.
      if (client !== undefined) {
        clients.delete(client);
      }
      socket.terminate();
      settle();
    }, SUBSCRIBE_TIMEOUT_MS);
  });
}

/** Opens clients until this process holds `to`; CONNECTING at a time (so the listen backlog never overflows). */
async function grow(to: number): Promise<GrowDone> {
  const started = performance.now();
  const failuresBefore = { ...connectFailures };
  let next = clients.size;
  // A gateway that fails this many of the new clients is saturated: opening more only deepens its backlog.
  const giveUpAfter = Math.max(100, Math.ceil(0.02 * (to - next)));
  const failedSoFar = () => sum(connectFailures) - sum(failuresBefore);
  const worker = async () => {
    while (next < to && failedSoFar() < giveUpAfter) {
      await open(next++ * PROCESSES + INDEX);
    }
  };
  // Progress, so a slow ramp is visibly slow rather than silent.
  const progress = setInterval(() => console.log(`load ${INDEX}: ${clients.size}/${to} connected after ${((performance.now() - started) / 1000).toFixed(0)} s`), 10_000);
  await Promise.all(Array.from({ length: CONNECTING }, worker));
  clearInterval(progress);
  const failures: Record<string, number> = {};
  for (const [reason, n] of Object.entries(connectFailures)) {
    const added = n - (failuresBefore[reason] ?? 0);
    if (added > 0) {
      failures[reason] = added;
    }
  }
  return { type: 'grown', connected: clients.size, subscribed: [...clients].filter((c) => c.subscribed).length, ms: performance.now() - started, failures };
}

function report(): LoadReport {
  return {
    type: 'report',
    connected: clients.size,
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
        client.socket.terminate();
      }
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
