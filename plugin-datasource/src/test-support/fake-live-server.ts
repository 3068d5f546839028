/**
 * An in-process fake of the live gateway (protocol/PROTOCOL.md, version 2) for deterministic
 * tests of the client side: no network, no timers, every frame checked by the protocol's own
 * strict parser (parseClientMessage), so a frame the real gateway would refuse fails here too.
 *
 *   const server = new FakeLiveServer({ tokens: ['good'] });
 *   const client = new LiveClient({ url: 'ws://fake/v1/live', token: () => 'good', socket: server.socket });
 *   client.subscribe(query, handler);
 *   await server.flush();                      // hello → welcome → subscribe → subscribed → snapshot
 *   server.update(query, { series, window, value: 3, final: false });
 *   server.dropConnections(1006);              // the network went away; the client reconnects
 *
 * What it does like the gateway: hello first (version, then token), welcome with heartbeatMs,
 * per-query sequence numbers shared by every connection (rule 3), a replay buffer of
 * `replayFrames` frames per query, resume exactly when the buffer holds what followed the
 * client's seq and a `fresh` snapshot otherwise, pong, unsubscribe, close codes 4001/4005,
 * `expiring` on demand (announceExpiry), live windows longer than the fine tier refused
 * (PANECAST_ERR_LIVE_WINDOW_TOO_LONG, backend live/session.ts), and on demand a subscribe it could
 * not serve (`failSubscribes`: PANECAST_ERR_INTERNAL, the subscription dropped) or refuses (`refuseSubscribes`).
 * What it leaves out: limits (but the subscribe rate, with `rateLimit`), backpressure, tenants. Frames travel in microtasks, in order;
 * `flush()` lets them all arrive.
 */
import {
  CLOSE,
  DEFAULT_LIMITS,
  DEFAULT_MAX_LIVE_WINDOW_MS,
  PROTOCOL_VERSION,
  parseClientMessage,
  type CorrectionMessage,
  type ServerMessage,
  type SubscribeQuery,
  type UpdateMessage,
  type WindowValue,
} from '@panecast/protocol';

import type { SocketFactory, SocketLike } from '../live/socket';

import { FakeConnection } from './fake-connection';

export { FakeConnection } from './fake-connection';

export interface FakeLiveServerOptions {
  /** Accepted tokens, read at each hello (so FakeBackend.tokens, the ones it minted, works); undefined accepts any (auth off). */
  tokens?: readonly string[];
  /** The version the welcome announces (default PROTOCOL_VERSION). */
  welcomeVersion?: number;
  heartbeatMs?: number;
  replayFrames?: number;
  /** Answer `ping` with `pong` (default true); false simulates a half-dead connection. */
  answerPings?: boolean;
  /** Refuse every connection before it opens (close 1006), like an unreachable host. */
  unreachable?: boolean;
  /**
   * Enforce the gateway's subscribe rate (backend live/session.ts): a bucket of
   * `limits.subscribesPerSecond` refilled continuously on Date.now(); a subscribe without a token
   * gets PANECAST_ERR_RATE_LIMITED, and five refusals in a row close the connection with 4029.
   */
  rateLimit?: boolean;
  /** Overrides of what the welcome announces (the rate enforced stays the default's): a gateway stricter than it says. */
  announce?: Partial<typeof DEFAULT_LIMITS>;
  /** Longest live window served (the backend's fine tier, default 1 h); longer ones are refused. */
  maxLiveWindowMs?: number;
}

/** The gateway closes after this many refused subscribes in a row (backend RATE_STRIKES_BEFORE_CLOSE). */
const RATE_STRIKES_BEFORE_CLOSE = 5;

/** A frame as logged for replay: without `sub`, which each connection adds. */
type LoggedFrame = Omit<UpdateMessage, 'sub'> | Omit<CorrectionMessage, 'sub'>;

interface QueryState {
  seq: number;
  /** Current windows by series@start: what a snapshot sends. */
  windows: Map<string, WindowValue>;
  /** The last replayFrames frames, without `sub` (added per connection). */
  log: LoggedFrame[];
}

/** Canonical text of a value: object keys sorted, so equal queries give equal keys (rule 3). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function queryKey(query: SubscribeQuery): string {
  return canonical(query);
}

function windowKey(w: Pick<WindowValue, 'series' | 'window'>): string {
  return `${JSON.stringify(Object.entries(w.series).sort())}@${w.window.start}`;
}

export class FakeLiveServer {
  readonly connections: FakeConnection[] = [];
  private readonly queries = new Map<string, QueryState>();
  /** Where a query's numbering starts (0 until restart(), so tests name small seqs). */
  private numberingBase = 0;
  private readonly queue: Array<() => void> = [];
  private draining = false;
  /** The next this many subscribes fail as when the bus cannot be read (backend live/session.ts): PANECAST_ERR_INTERNAL, dropped. */
  failSubscribes = 0;
  /** While set, subscribes are refused with this error, as the gateway refuses one over a limit (e.g. PANECAST_ERR_TOO_MANY_LIVE_QUERIES). */
  refuseSubscribes: { code: string; message: string } | undefined;

  constructor(readonly options: FakeLiveServerOptions = {}) {}

  /** The SocketFactory to give the client. */
  readonly socket: SocketFactory = (_url, events) => {
    const connection = new FakeConnection(this, events);
    this.connections.push(connection);
    if (this.options.unreachable === true) {
      connection.open = false;
      this.defer(() => events.close(1006, ''));
    } else {
      this.defer(() => connection.open && events.open());
    }
    const socket: SocketLike = {
      send: (text) => this.defer(() => connection.open && this.receive(connection, text)),
      close: (code = 1000) => {
        // The client closed: the server sees it, the client gets its close event.
        if (connection.open) {
          connection.open = false;
          this.defer(() => events.close(code, ''));
        }
      },
    };
    return socket;
  };

  /** @internal runs `task` after the current microtask, in order with every other frame. */
  defer(task: () => void): void {
    this.queue.push(task);
    if (!this.draining) {
      this.draining = true;
      // A promise, not queueMicrotask: jest's fake timers fake the latter but never promises.
      void Promise.resolve().then(() => {
        try {
          while (this.queue.length > 0) {
            this.queue.shift()!();
          }
        } finally {
          this.draining = false;
        }
      });
    }
  }

  /** Lets every queued frame arrive, and promise chains they start settle. */
  async flush(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await Promise.resolve();
    }
  }

  /** Connections still open. */
  get openConnections(): FakeConnection[] {
    return this.connections.filter((c) => c.open);
  }

  /** Client frames of a type, over every connection. */
  framesOf(type: string): Array<Record<string, unknown>> {
    return this.connections.flatMap((c) => c.received.filter((f) => f.type === type));
  }

  private state(key: string): QueryState {
    let state = this.queries.get(key);
    if (state === undefined) {
      state = { seq: this.numberingBase, windows: new Map(), log: [] };
      this.queries.set(key, state);
    }
    return state;
  }

  /** Sets a window before anyone subscribes (it appears in snapshots) without sending a frame. */
  seed(query: SubscribeQuery, value: WindowValue): void {
    this.state(queryKey(query)).windows.set(windowKey(value), value);
  }

  /** A new value of one window: recorded, numbered, sent to every subscriber of the query. */
  update(query: SubscribeQuery, value: WindowValue): void {
    this.publish(query, { type: 'update', seq: 0, ...value });
  }

  /** A late event changed a final window. */
  correction(query: SubscribeQuery, value: Omit<WindowValue, 'final'>): void {
    this.publish(query, { type: 'correction', seq: 0, series: value.series, window: value.window, value: value.value });
  }

  private publish(query: SubscribeQuery, frame: LoggedFrame): void {
    const key = queryKey(query);
    const state = this.state(key);
    state.seq += 1;
    const numbered: LoggedFrame = { ...frame, seq: state.seq };
    state.windows.set(windowKey(numbered), {
      series: numbered.series,
      window: numbered.window,
      value: numbered.value,
      final: numbered.type === 'correction' ? true : numbered.final,
    });
    state.log.push(numbered);
    const limit = this.options.replayFrames ?? 512;
    if (state.log.length > limit) {
      state.log.splice(0, state.log.length - limit);
    }
    for (const connection of this.openConnections) {
      for (const [sub, subKey] of connection.subs) {
        if (subKey !== key) {
          continue;
        }
        if (connection.withhold > 0) {
          connection.withhold -= 1;
          continue;
        }
        connection.send({ ...numbered, sub } as ServerMessage);
      }
    }
  }

  /** Tells every open, welcomed connection that its token expires at `at` (PROTOCOL.md `expiring`). */
  announceExpiry(at: number): void {
    for (const connection of this.openConnections) {
      if (connection.hello) {
        connection.send({ type: 'expiring', at });
      }
    }
  }

  /** Closes every open connection with `code` (1006: the network dropped). */
  dropConnections(code: number, reason = ''): void {
    for (const connection of this.openConnections) {
      connection.close(code, reason);
    }
  }

  private receive(connection: FakeConnection, text: string): void {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      connection.send({ type: 'error', code: parsed.code, message: parsed.message, ...(parsed.id !== undefined ? { id: parsed.id } : {}) });
      if (parsed.code === 'PANECAST_ERR_UNSUPPORTED_VERSION') {
        connection.close(CLOSE.UNSUPPORTED_VERSION, parsed.code);
      }
      return;
    }
    const message = parsed.message;
    connection.received.push(message as unknown as Record<string, unknown>);
    if (!connection.hello) {
      if (message.type !== 'hello') {
        connection.send({ type: 'error', code: 'PANECAST_ERR_HELLO_REQUIRED', message: `The first frame must be hello; got ${message.type}` });
        connection.close(CLOSE.AUTH_FAILED, 'PANECAST_ERR_HELLO_REQUIRED');
        return;
      }
      const tokens = this.options.tokens;
      if (tokens !== undefined && !tokens.includes(message.token)) {
        connection.send({ type: 'error', code: 'PANECAST_ERR_TOKEN_SIGNATURE', message: 'The token signature does not match any current key' });
        connection.close(CLOSE.AUTH_FAILED, 'PANECAST_ERR_TOKEN_SIGNATURE');
        return;
      }
      connection.hello = true;
      connection.token = message.token;
      connection.send({ type: 'welcome', version: this.options.welcomeVersion ?? PROTOCOL_VERSION, server: 'fake-1', heartbeatMs: this.options.heartbeatMs ?? 15_000, limits: { ...DEFAULT_LIMITS, ...this.options.announce } });
      return;
    }
    switch (message.type) {
      case 'subscribe': {
        if (this.options.rateLimit === true && !connection.allowSubscribe()) {
          connection.send({ type: 'error', code: 'PANECAST_ERR_RATE_LIMITED', message: 'Too many subscribes', id: message.id });
          if (++connection.strikes >= RATE_STRIKES_BEFORE_CLOSE) {
            connection.close(CLOSE.RATE_LIMITED, 'PANECAST_ERR_RATE_LIMITED');
          }
          return;
        }
        if (connection.subs.has(message.sub)) {
          connection.send({ type: 'error', code: 'PANECAST_ERR_SUB_EXISTS', message: `Subscription ${message.sub} already exists`, id: message.id });
          return;
        }
        const liveLimit = this.options.maxLiveWindowMs ?? DEFAULT_MAX_LIVE_WINDOW_MS;
        if (message.query.window.size > liveLimit) {
          const text = `Live windows may span at most ${liveLimit} ms (the fine tier); got ${message.query.window.size}. Longer windows are served by GET /v1/history`;
          connection.send({ type: 'error', code: 'PANECAST_ERR_LIVE_WINDOW_TOO_LONG', message: text, id: message.id });
          return;
        }
        if (this.refuseSubscribes !== undefined) {
          connection.send({ type: 'error', ...this.refuseSubscribes, id: message.id });
          return;
        }
        if (this.failSubscribes > 0) {
          this.failSubscribes -= 1;
          connection.send({ type: 'error', code: 'PANECAST_ERR_INTERNAL', message: 'The subscription could not be served; retry', id: message.id });
          return;
        }
        const key = queryKey(message.query);
        const state = this.state(key);
        connection.subs.set(message.sub, key);
        const resumeSeq = message.resume?.seq;
        const oldest = state.log[0]?.seq ?? state.seq + 1;
        // Resumable when every frame after resumeSeq is still in the buffer (rule 5).
        if (resumeSeq !== undefined && resumeSeq <= state.seq && resumeSeq >= oldest - 1) {
          connection.send({ type: 'subscribed', id: message.id, sub: message.sub, resumed: true });
          for (const frame of state.log.filter((f) => f.seq > resumeSeq)) {
            connection.send({ ...frame, sub: message.sub } as ServerMessage);
          }
          return;
        }
        connection.send({ type: 'subscribed', id: message.id, sub: message.sub, resumed: false });
        connection.send({
          type: 'snapshot',
          sub: message.sub,
          seq: state.seq,
          windows: [...state.windows.values()],
          ...(resumeSeq !== undefined ? { fresh: true as const } : {}),
        });
        return;
      }
      case 'unsubscribe':
        if (!connection.subs.delete(message.sub)) {
          connection.send({ type: 'error', code: 'PANECAST_ERR_SUB_UNKNOWN', message: `No subscription ${message.sub}`, id: message.id });
          return;
        }
        connection.send({ type: 'unsubscribed', id: message.id, sub: message.sub });
        return;
      case 'ping':
        if (this.options.answerPings !== false) {
          connection.send({ type: 'pong', id: message.id });
        }
        return;
      default:
        connection.send({ type: 'error', code: 'PANECAST_ERR_HELLO_REPEATED', message: 'hello was already received on this connection' });
    }
  }


  /** Removes windows from the server's state (they fall out of the snapshot), e.g. to model a restart. */
  forget(query: SubscribeQuery, keep: (w: WindowValue) => boolean): void {
    const state = this.state(queryKey(query));
    for (const [key, w] of state.windows) {
      if (!keep(w)) {
        state.windows.delete(key);
      }
    }
  }

  /** Empties the replay buffer of a query: a later resume gets a fresh snapshot. */
  forgetReplay(query: SubscribeQuery): void {
    this.state(queryKey(query)).log.length = 0;
  }

  /**
   * The backend lost every query's state (a restarted process, expired keys): like its live bus
   * (live-bus.ts numberingBase), each query is numbered anew from the clock, epoch ms × 1000, above
   * every seq issued before; no windows, nothing to replay. Connections stay as they are.
   */
  restart(): void {
    this.queries.clear();
    this.numberingBase = Date.now() * 1000;
  }
}
