/**
 * Live gateway: the WebSocket endpoint of protocol version 2. Accepts
 * upgrades on LIVE_PATH from allowed origins, runs one Session per
 * connection, pings every `heartbeatMs` and reaps connections that answered
 * none of the last two pings, and pumps backlogged outboxes. Values come from
 * the live bus through the Hub; any number of gateways can serve the same
 * queries with the same numbering. The only file that imports ws; numbered
 * frames bypass ws.send through FramedSocket (framed-socket.ts says why).
 * Connections per token, and per token subject (a read key), are counted in
 * the connection ledger, across every gateway sharing it (token-connections.ts);
 * distinct queries per tenant in the live bus's registry (LiveBus.admit).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { CLOSE, DEFAULT_LIMITS, LIVE_PATH, type Limits } from '@panecast/protocol';
import { PanecastError } from '../errors';
import type { MetricDefinition } from '../window';
import { connectionKey, DEFAULT_TENANT, metricsVisibleTo, subjectKey, verifyToken, type Secret, type TokenClaims, type TokenResult } from './auth';
import { originAllowed } from './origin-allow-list';
import { CloseCounts, type ClosesByCode, type ErrorFramesByCode } from './close-counts';
import type { ConnectionLedger } from './connection-ledger';
import { FramedSocket, type WebSocketLike } from './framed-socket';
import { Hub } from './hub';
import type { LiveBus } from './live-bus';
import { Outbox } from './outbox';
import { Session } from './session';
import { TokenConnections, type Admission } from './token-connections';
import { WriteTurns } from './write-turns';

export interface GatewayOptions {
  instanceId: string;
  limits: Limits;
  /**
   * Connections of one token subject across all its tokens and every gateway (a read key's: tokens
   * minted for it share its subject), beside `limits.maxConnectionsPerToken` per token. Without it a
   * key holder minting a token per connection would have no bound.
   */
  maxConnectionsPerSubject: number;
  /**
   * Distinct live queries of one tenant, registered across every gateway: each costs the one composer
   * a live tail, and the per-connection limits alone would let a key holder register
   * connections × subscriptions of them. Subscribing to a query already registered is always allowed.
   */
  maxQueriesPerTenant: number;
  heartbeatMs: number;
  paneMs: number;
  maxLiveWindowMs: number;
  /** Empty: auth off, every hello is accepted as the default tenant. */
  secrets: readonly Secret[];
  allowedOrigins: readonly string[];
  helloTimeoutMs: number;
  expiryNoticeMs: number;
  firstFramesTimeoutMs: number;
  /** How long a client may stay over its outbound budget before 4008. */
  slowCloseMs: number;
  maxCoalesced: number;
  /** How often the gateway renews the bus leases of the queries it serves (well under the lease). */
  leaseRenewMs: number;
  /** Longest wait for the connection ledger's answer to a hello before refusing it (1011). */
  ledgerTimeoutMs: number;
  clock: () => number;
}

export const GATEWAY_DEFAULTS = Object.freeze({
  limits: DEFAULT_LIMITS,
  maxConnectionsPerSubject: 1000,
  maxQueriesPerTenant: 1000,
  heartbeatMs: 15_000,
  helloTimeoutMs: 10_000,
  expiryNoticeMs: 60_000,
  firstFramesTimeoutMs: 3000,
  slowCloseMs: 5000,
  maxCoalesced: 20_000,
  leaseRenewMs: 5000,
  ledgerTimeoutMs: 5000,
  clock: Date.now,
});

/** Clients pinged per turn of the event loop. */
const PING_SLICE = 256;

interface Client {
  socket: WebSocket;
  session: Session;
  outbox: Outbox;
  /** Pings sent since the last pong. */
  missed: number;
  /** The code this gateway closed with, once it decided to (whatever the client answers): counted as by="server". */
  closeSent?: number;
}

/** No close frame: what a terminated connection reports (RFC 6455 1006). */
const CLOSE_ABNORMAL = 1006;

/**
 * The close code ws sends when a client breaks the WebSocket protocol (its 'error' event; the error's
 * code is public, the close code is not): too big a frame 1009, invalid UTF-8 1007, anything else 1002.
 * Undefined for a failed write, after which ws sends no close: the connection dropped.
 */
function wsCloseCode(error: Error): number | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (!code.startsWith('WS_ERR_')) {
    return undefined;
  }
  return code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CLOSE.MESSAGE_TOO_BIG : code === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002;
}

export class LiveGateway {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  /** Clients whose outbox is coalescing: the only ones the pump visits. */
  private readonly backlogged = new Set<Client>();
  private readonly tokens: TokenConnections;
  private readonly hub: Hub;
  /** Two writes at most per client per turn, however many of its subscriptions have frames (write-turns.ts). */
  private readonly writeTurns: WriteTurns;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly pump: NodeJS.Timeout;
  private refusedOrigins = 0;
  private readonly ends = new CloseCounts();

  constructor(
    private readonly bus: LiveBus,
    ledger: ConnectionLedger,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: GatewayOptions,
  ) {
    this.tokens = new TokenConnections(ledger, {
      instanceId: options.instanceId,
      limit: options.limits.maxConnectionsPerToken,
      subjectLimit: options.maxConnectionsPerSubject,
      answerTimeoutMs: options.ledgerTimeoutMs,
    });
    // ws closes with 1009 by itself when a frame exceeds maxPayload.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.limits.maxFrameBytes, perMessageDeflate: false });
    this.hub = new Hub(bus, options.leaseRenewMs);
    this.writeTurns = new WriteTurns();
    this.heartbeat = setInterval(() => void this.ping(), options.heartbeatMs);
    this.heartbeat.unref();
    this.pump = setInterval(() => this.pumpBacklogged(), 50);
    this.pump.unref();
  }

  /** Routes WebSocket upgrades on the live path of an HTTP server to this gateway. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (request.url ?? '').split('?', 1)[0];
      if (path !== LIVE_PATH) {
        refuse(socket, new PanecastError('PANECAST_ERR_NOT_FOUND', { method: 'GET', path: path ?? '' }));
        return;
      }
      const origin = request.headers.origin;
      if (!originAllowed(origin, this.options.allowedOrigins)) {
        this.refusedOrigins++;
        refuse(socket, new PanecastError('PANECAST_ERR_ORIGIN_NOT_ALLOWED', { origin: origin ?? '' }));
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, socket));
    });
  }

  private verify(token: string): TokenResult {
    if (this.options.secrets.length === 0) {
      return { ok: true, claims: { tenant: DEFAULT_TENANT, sub: 'anonymous', exp: Number.POSITIVE_INFINITY, iat: 0 } };
    }
    return verifyToken(token, this.options.secrets, this.options.clock());
  }

  /** `raw`: the TCP socket ws took over, which numbered frames are written to (FramedSocket). */
  private accept(socket: WebSocket, raw: Duplex): void {
    // Called only once the connection runs, after `client` below exists.
    const closeFromServer = (code: number, reason: string): void => this.closeFromServer(client, code, reason);
    // ws itself, but for close: the outbox's 4008 goes through the same funnel as the session's closes.
    const ws: WebSocketLike = {
      get readyState() {
        return socket.readyState;
      },
      extensions: socket.extensions,
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      send: (text) => socket.send(text),
      close: closeFromServer,
    };
    const outbox = new Outbox(
      new FramedSocket(ws, raw, this.writeTurns),
      // Called only once frames flow, after `client` below exists.
      { maxBufferedBytes: this.options.limits.maxBufferedBytes, slowCloseMs: this.options.slowCloseMs, maxCoalesced: this.options.maxCoalesced, onBacklogged: () => this.backlogged.add(client) },
      this.options.clock,
    );
    const session = new Session(
      {
        instanceId: this.options.instanceId,
        limits: this.options.limits,
        heartbeatMs: this.options.heartbeatMs,
        paneMs: this.options.paneMs,
        maxLiveWindowMs: this.options.maxLiveWindowMs,
        helloTimeoutMs: this.options.helloTimeoutMs,
        firstFramesTimeoutMs: this.options.firstFramesTimeoutMs,
        expiryNoticeMs: this.options.expiryNoticeMs,
        hub: this.hub,
        bus: this.bus,
        verify: (token) => this.verify(token),
        definitionsFor: (tenant) => metricsVisibleTo(tenant, this.definitions),
        acquire: (claims) => this.acquire(claims),
        maxConnectionsPerSubject: this.options.maxConnectionsPerSubject,
        maxQueriesPerTenant: this.options.maxQueriesPerTenant,
        pauseInput: () => socket.pause(),
        resumeInput: () => socket.resume(),
        errorFrameSent: (code) => this.ends.errorFrame(code),
        clock: this.options.clock,
      },
      outbox,
      closeFromServer,
    );
    const client: Client = { socket, session, outbox, missed: 0 };
    this.clients.add(client);
    socket.on('pong', () => {
      client.missed = 0;
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      // Binary frames are refused like malformed JSON: hand the parser something that is not JSON.
      session.receive(isBinary ? '\u0000binary' : data.toString());
    });
    const gone = () => {
      this.clients.delete(client);
      this.backlogged.delete(client);
      session.dispose();
    };
    // Counted once, at the end: a close this gateway started by its code, any other by the code ws reports.
    socket.once('close', (code: number) => {
      this.ends.closed(client.closeSent ?? code, client.closeSent === undefined ? 'client' : 'server');
      gone();
    });
    socket.on('error', (error: Error) => {
      client.closeSent ??= wsCloseCode(error);
      gone();
    });
  }

  /** Every close this gateway decides goes through here, so it is counted by the code sent, not the client's echo. */
  private closeFromServer(client: Client, code: number, reason: string): void {
    client.closeSent ??= code;
    client.socket.close(code, reason);
  }

  private acquire(claims: TokenClaims): Promise<Admission> {
    if (this.options.secrets.length === 0) {
      // Auth off: every client is the same anonymous subject; a per-token cap would cap the gateway.
      return Promise.resolve({ admitted: true, release: () => {} });
    }
    return this.tokens.acquire(connectionKey(claims), subjectKey(claims));
  }

  private pumpBacklogged(): void {
    for (const client of this.backlogged) {
      client.outbox.pump();
      if (!client.outbox.backlogged) {
        this.backlogged.delete(client);
      }
    }
  }

  /** Pings in slices, yielding between them: 20 000 pings in one go would hold every delivery ~300 ms. */
  private async ping(): Promise<void> {
    let sent = 0;
    for (const client of [...this.clients]) {
      if (!this.clients.has(client)) {
        continue; // gone while we yielded
      }
      if (client.missed >= 2) {
        client.closeSent ??= CLOSE_ABNORMAL;
        client.socket.terminate();
        continue;
      }
      client.missed++;
      client.socket.ping();
      if (++sent % PING_SLICE === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  get connections(): number {
    return this.clients.size;
  }

  /**
   * `tokenSlots`: connection-ledger slots this gateway holds (auth on: one per open connection);
   * `deferredBatches` / `conflatedFrames`: batches that waited past a turn's delivery budget, and the frames superseded while they waited (hub.ts);
   * `closesByCode` / `errorFramesByCode`: connections ended and error frames sent since start (close-counts.ts).
   */
  stats(): { connections: number; queries: number; backlogged: number; refusedOrigins: number; gapsRepaired: number; resyncs: number; tokenSlots: number; deferredBatches: number; conflatedFrames: number; closesByCode: ClosesByCode; errorFramesByCode: ErrorFramesByCode } {
    let backlogged = 0;
    for (const client of this.clients) {
      backlogged += client.outbox.backlogged ? 1 : 0;
    }
    return { connections: this.clients.size, queries: this.hub.queries, backlogged, refusedOrigins: this.refusedOrigins, gapsRepaired: this.hub.gapsRepaired, resyncs: this.hub.resyncs, tokenSlots: this.tokens.size, deferredBatches: this.hub.deferredBatches, conflatedFrames: this.hub.conflatedFrames, closesByCode: this.ends.closesByCode(), errorFramesByCode: this.ends.errorFramesByCode() };
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    clearInterval(this.pump);
    this.hub.close();
    for (const client of this.clients) {
      client.session.close(CLOSE.GOING_AWAY, 'server shutting down');
      // Do not wait for a peer that never answers the closing handshake.
      setTimeout(() => client.socket.terminate(), 1000).unref();
    }
    this.clients.clear();
    // After the sessions: their slots are freed now rather than left to the lease.
    await this.tokens.close();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** Answers a refused upgrade with a JSON error and closes the socket. */
function refuse(socket: Duplex, error: PanecastError): void {
  const body = JSON.stringify({ error: error.toJSON() });
  socket.end(`HTTP/1.1 ${error.status} ${error.status === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
