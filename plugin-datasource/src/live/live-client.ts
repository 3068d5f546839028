/**
 * The live channel's client (protocol/PROTOCOL.md, version 2): one WebSocket per datasource
 * instance, many subscriptions multiplexed on it.
 *
 * States (live-state.ts: one setter emits every transition with a code and a reason):
 *   idle ──subscribe──▶ connecting ──welcome──▶ connected
 *     ▲                    │  ▲                    │ close / ping timeout / gap-free renewal
 *     │ last unsubscribe   ▼  │ backoff timer      ▼
 *     └──────────────── reconnecting ◀─────────────┘
 *   failed: a close the client cannot fix by retrying (closeAction 'stop', or a gateway that
 *   speaks another version); a new subscribe tries again.
 *
 * - Tokens: a fresh one is fetched before every connection (connection-attempt.ts).
 * - Renewal without a gap (PROTOCOL.md `expiring`, renewal.ts): a second connection opens beside
 *   the current one with a fresh token; on its welcome it takes over, every subscription resumes
 *   there from its last applied seq, and only then is the old one closed. The state stays connected.
 *
 * - One teardown funnel, disconnect(): clears the connection id (callbacks of a dead socket are
 *   ignored), clears timers, then reconnects with backoff + full jitter while subscriptions remain.
 * - Sequence numbers per subscription (subscription-table.ts): duplicates are dropped, a gap
 *   re-subscribes, every subscription resumes from its last applied seq.
 * - Liveness: when nothing arrived for heartbeatMs the client pings; nothing for another
 *   heartbeatMs and the connection is taken for dead.
 * - Subscribes are paced to the welcome's `limits.subscribesPerSecond` (pacer.ts): many panels
 *   resubscribing at once would otherwise get the connection closed with 4029, again and again.
 *   One the gateway could not serve (PANECAST_ERR_INTERNAL) is sent again with backoff (subscribe-retries.ts).
 */
import {
  DEFAULT_LIMITS,
  PROTOCOL_VERSION,
  closeAction,
  encode,
  formatClientMessage,
  parseServerMessage,
  type ClientErrorCode,
  type ClientMessage,
  type Limits,
  type SequencedMessage,
  type ServerMessage,
  type SubscribeQuery,
} from '@panecast/protocol';

import { DEFAULT_BACKOFF, backoffDelay } from './backoff';
import { attemptConnection, requestToken } from './connection-attempt';
import { LiveStateMachine } from './live-state';
import { SubscribePacer } from './pacer';
import { Renewal } from './renewal';
import { browserSocket, closeQuietly, type SocketLike } from './socket';
import { SubscribeRetries } from './subscribe-retries';
import { SubscriptionTable } from './subscription-table';
import { Watchdog } from './watchdog';

import type { LiveClientOptions, LiveState, LiveSubscription, StateChange, Subscription, SubscriptionHandler } from './live-types';


type Timer = ReturnType<typeof setTimeout>;

export class LiveClient {
  private readonly machine = new LiveStateMachine();
  private readonly subs = new SubscriptionTable();
  private socket?: SocketLike;
  /** Id of the current connection: callbacks of any other socket are ignored. */
  private connection = 0;
  private ids = 0;
  private renewal?: Renewal;
  private nextId = 0;
  private attempt = 0;
  private readonly watchdog: Watchdog;
  private readonly pacer: SubscribePacer<Subscription>;
  private readonly retries: SubscribeRetries<Subscription>;
  private pendingError?: { code: string; message: string };
  private handshakeTimer?: Timer;
  private reconnectTimer?: Timer;
  private lingerTimer?: Timer;
  /** Announced by the welcome. */
  private heartbeatMs = 15_000;
  private welcomeLimits?: Limits;

  constructor(private readonly options: LiveClientOptions) {
    this.watchdog = new Watchdog(
      {
        ping: () => this.send({ type: 'ping', id: this.id('p') }),
        dead: () => this.fail('PANECAST_ERR_CLIENT_PING_TIMEOUT', { ms: this.heartbeatMs }, 'reconnecting'),
      },
      options.now ?? Date.now,
    );
    this.pacer = new SubscribePacer((sub) => this.sendSubscribeNow(sub), options.now ?? Date.now);
    this.retries = new SubscribeRetries(
      (sub) => this.sendSubscribe(sub),
      (attempt) => backoffDelay(attempt, options.backoff ?? DEFAULT_BACKOFF, options.random),
    );
  }

  get state(): LiveState {
    return this.machine.state;
  }

  /**
   * The limits the gateway announced in its last welcome (a renewal's included); undefined until
   * one was welcomed. Kept through a reconnect: the next gateway most likely runs the same settings.
   */
  get limits(): Limits | undefined {
    return this.welcomeLimits;
  }

  /** Subscriptions held (open, pending or waiting for a reconnect). */
  get size(): number {
    return this.subs.size;
  }

  onStateChange(listener: (change: StateChange) => void): () => void {
    return this.machine.onChange(listener);
  }

  subscribe(query: SubscribeQuery, handler: SubscriptionHandler): LiveSubscription {
    const sub: Subscription = { wire: this.id('s'), query, handler, heldState: false, failed: false };
    this.subs.add(sub);
    this.clearTimer('lingerTimer');
    if (this.state === 'connected') {
      this.sendSubscribe(sub);
    } else if (this.state === 'idle' || this.state === 'failed') {
      this.connect();
    }
    return { unsubscribe: () => this.unsubscribe(sub) };
  }

  /** Ends every subscription and the connection. */
  close(): void {
    this.subs.clear();
    this.disconnect('idle', 1000, 'closed by the client');
  }

  private unsubscribe(sub: Subscription): void {
    if (!this.subs.holds(sub)) {
      return;
    }
    this.subs.delete(sub);
    // A subscribe still waiting in the pacer never reached the gateway, and one waiting for its
    // retry was dropped there: nothing to undo on the gateway.
    const queued = this.pacer.remove(sub);
    const dropped = this.retries.pending(sub);
    this.retries.forget(sub);
    if (this.state === 'connected' && !sub.failed && !queued && !dropped) {
      this.send({ type: 'unsubscribe', id: this.id('u'), sub: sub.wire });
    }
    if (this.subs.size === 0) {
      const linger = this.options.lingerMs ?? 5_000;
      this.clearTimer('lingerTimer');
      this.lingerTimer = setTimeout(() => {
        if (this.subs.size === 0) {
          this.disconnect('idle', 1000, 'no subscriptions left');
        }
      }, linger);
    }
  }

  private id(prefix: string): string {
    this.nextId += 1;
    return `${prefix}${this.nextId}`;
  }

  private clearTimer(name: 'handshakeTimer' | 'reconnectTimer' | 'lingerTimer'): void {
    const timer = this[name];
    if (timer !== undefined) {
      clearTimeout(timer);
      this[name] = undefined;
    }
  }

  private connect(): void {
    this.clearTimer('reconnectTimer');
    const connection = ++this.ids;
    this.connection = connection;
    const alive = () => connection === this.connection;
    this.pendingError = undefined;
    this.machine.set('connecting');
    const timeoutMs = this.options.handshakeTimeoutMs ?? 10_000;
    // The timeout covers the token request too: a hung proxy is a failed attempt like a hung socket.
    this.handshakeTimer = setTimeout(() => {
      if (alive()) {
        this.fail('PANECAST_ERR_CLIENT_HANDSHAKE_TIMEOUT', { ms: timeoutMs }, 'reconnecting');
      }
    }, timeoutMs);
    attemptConnection(this.options, {
      alive,
      socket: (socket) => {
        this.socket = socket;
      },
      hello: (token) => this.send({ type: 'hello', version: PROTOCOL_VERSION, token }),
      message: (text) => this.receive(text),
      closed: (code, reason) => this.closed(code, reason),
      failed: (then, code, reason) => this.disconnect(then, code, reason),
    });
  }

  /** `expiring`: the next connection opens beside this one and takes over once welcomed (renewal.ts). */
  private renew(): void {
    if (this.renewal?.active === true || this.state !== 'connected') {
      return;
    }
    this.renewal = new Renewal(
      { url: this.options.url, token: () => requestToken(this.options), socket: this.options.socket ?? browserSocket, timeoutMs: this.options.handshakeTimeoutMs ?? 10_000 },
      (renewal, welcome) => {
        if (renewal !== this.renewal || this.state !== 'connected') {
          renewal.cancel();
          return;
        }
        const connection = ++this.ids;
        const alive = () => connection === this.connection;
        const socket = renewal.takeOver({ message: (text) => alive() && this.receive(text), close: (code, reason) => alive() && this.closed(code, reason) });
        // Frames of the old connection are ignored from here; every subscription resumes on the
        // new one from its last applied seq, so nothing falls between the two. Then the old closes.
        const old = this.socket;
        this.connection = connection;
        this.socket = socket;
        this.watchdog.frame();
        this.welcomed(welcome, 'renewed');
        closeQuietly(old, 1000, 'renewed');
      },
    );
  }

  private fail(code: ClientErrorCode, params: Record<string, string | number>, then: 'reconnecting' | 'failed'): void {
    this.disconnect(then, code, formatClientMessage(code, params));
  }

  /** The teardown funnel: every way a connection ends comes through here. */
  private disconnect(then: 'idle' | 'reconnecting' | 'failed', code: string | number, reason: string): void {
    // No socket has id 0: every callback of the old connection is ignored from here.
    this.connection = 0;
    this.renewal?.cancel();
    this.clearTimer('handshakeTimer');
    this.clearTimer('reconnectTimer');
    this.clearTimer('lingerTimer');
    this.watchdog.stop();
    this.pacer.stop();
    this.retries.clear();
    const socket = this.socket;
    this.socket = undefined;
    closeQuietly(socket, 1000, typeof code === 'string' ? code : undefined);
    if (then === 'failed') {
      for (const sub of this.subs.values()) {
        sub.handler.error(String(code), reason);
      }
      this.machine.set('failed', code, reason);
      return;
    }
    if (then === 'idle' || this.subs.size === 0) {
      this.machine.set('idle', code, reason);
      return;
    }
    const delay = backoffDelay(this.attempt++, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.machine.set('reconnecting', code, reason);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private closed(code: number, reason: string): void {
    this.socket = undefined;
    // The error frame sent before the close says more than the close reason (which holds only its code).
    const error = this.pendingError;
    const why = error?.code ?? (reason !== '' ? reason : code);
    const text = error?.message ?? (reason !== '' ? reason : formatClientMessage('PANECAST_ERR_CLIENT_SOCKET', { url: this.options.url, code }));
    this.disconnect(closeAction(code) === 'stop' ? 'failed' : 'reconnecting', why, text);
  }

  private send(message: ClientMessage): void {
    this.socket?.send(encode(message));
  }

  /** Queues the subscribe behind the pacer (pacer.ts); sendSubscribeNow sends it. */
  private sendSubscribe(sub: Subscription): void {
    this.pacer.push(sub);
  }

  private sendSubscribeNow(sub: Subscription): void {
    if (this.subs.holds(sub) && !sub.failed && this.state === 'connected') {
      this.send(this.subs.subscribeMessage(sub, this.id('r')));
    }
  }

  private receive(text: string): void {
    this.watchdog.frame();
    const message = parseServerMessage(text);
    if (message !== undefined) {
      this.dispatch(message);
    }
  }

  private dispatch(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        return this.welcomed(message);
      case 'subscribed': {
        const sub = this.subs.subscribed(message.sub, message.resumed);
        if (sub !== undefined) {
          this.retries.forget(sub);
        }
        return;
      }
      case 'snapshot':
      case 'update':
      case 'correction':
        return this.sequenced(message);
      case 'error':
        return this.errorFrame(message.code, message.message, message.id);
      case 'expiring':
        return this.renew();
      default:
        // pong, unsubscribed: arrival already fed the watchdog.
        return;
    }
  }

  private welcomed(welcome: { version: number; heartbeatMs: number; limits: Limits }, code?: string): void {
    const { version, heartbeatMs } = welcome;
    if (version !== PROTOCOL_VERSION) {
      this.fail('PANECAST_ERR_CLIENT_VERSION', { version, supported: PROTOCOL_VERSION }, 'failed');
      return;
    }
    this.clearTimer('handshakeTimer');
    this.attempt = 0;
    this.heartbeatMs = heartbeatMs;
    this.welcomeLimits = welcome.limits;
    this.machine.set('connected', code, code === undefined ? undefined : 'a new connection with a fresh token took over');
    this.watchdog.start(heartbeatMs);
    this.pacer.reset(welcome.limits.subscribesPerSecond, DEFAULT_LIMITS.subscribesPerSecond);
    // A renewal taking over: retries pending for the old connection would subscribe twice here.
    this.retries.clear();
    for (const sub of this.subs.values()) {
      if (!sub.failed) {
        this.sendSubscribe(sub);
      }
    }
  }

  private sequenced(message: SequencedMessage): void {
    const gapped = this.subs.deliver(message);
    if (gapped !== undefined) {
      this.resubscribe(gapped);
    }
  }

  /** Frames were lost on this connection: drop the wire subscription and resume under a new id. */
  private resubscribe(sub: Subscription): void {
    this.send({ type: 'unsubscribe', id: this.id('u'), sub: sub.wire });
    this.subs.rewire(sub, this.id('s'));
    this.sendSubscribe(sub);
  }

  private errorFrame(code: string, message: string, requestId: string | undefined): void {
    const sub = this.subs.byRequest(requestId);
    if (sub === undefined) {
      // A connection-level error (token, version): the close that follows reports it.
      this.pendingError = { code, message };
      return;
    }
    if (code === 'PANECAST_ERR_RATE_LIMITED') {
      // Too many subscribes at once: retried first once the bucket refills, on this connection only
      // (a timer outliving it would subscribe twice on the next one: PANECAST_ERR_SUB_EXISTS).
      this.pacer.refused(sub);
      return;
    }
    if (code === 'PANECAST_ERR_INTERNAL') {
      // The gateway dropped it and asks for a new subscribe (PROTOCOL.md); it resumes from lastSeq.
      this.retries.later(sub);
      return;
    }
    sub.failed = true;
    sub.handler.error(code, message);
  }
}
