/**
 * One live connection, protocol version 2 (protocol/PROTOCOL.md): hello and
 * its token, subscriptions with snapshot or resume, limits, the token's
 * expiry. States: awaiting-hello → authenticating → open → closed.
 *
 * `authenticating`: the token is valid and the connection ledger is deciding
 * whether the token may hold one more connection (counted across gateways, so
 * the answer is asynchronous). The socket is paused meanwhile; frames it had
 * already read (a client sends hello and its subscribes at once) are queued
 * and handled in order after welcome, as if they had arrived after it.
 *
 * A subscription first syncs to a known seq, then goes live (subscription-sync.ts).
 */
import {
  CLOSE,
  PROTOCOL_VERSION,
  parseClientMessage,
  SubscribeRate,
  toEngineQuery,
  type ClientMessage,
  type Limits,
  type SubscribeMessage,
} from '@panecast/protocol';
import { PanecastError, type ErrorCode } from '../errors';
import { compileQuery, type CompiledQuery, type MetricDefinition, type WindowQuery } from '../window';
import type { TokenClaims, TokenResult } from './auth';
import type { Hub } from './hub';
import type { LiveBus } from './live-bus';
import type { Outbox } from './outbox';
import { Subscription } from './subscription';
import { syncSubscription, type SyncIo } from './subscription-sync';
import type { Admission } from './token-connections';

export interface SessionContext {
  instanceId: string;
  limits: Limits;
  heartbeatMs: number;
  paneMs: number;
  /** Longest live window (the fine tier). */
  maxLiveWindowMs: number;
  /** How long a subscription waits for the composer's first frames of a brand-new query. */
  firstFramesTimeoutMs: number;
  /** A connection that sends no hello for this long is closed (4007). */
  helloTimeoutMs: number;
  /** The expiring frame goes out this long before the token's expiry. */
  expiryNoticeMs: number;
  hub: Hub;
  bus: LiveBus;
  verify(token: string): TokenResult;
  /** The metrics a tenant may see. */
  definitionsFor(tenant: string): readonly MetricDefinition[];
  /**
   * Counts a connection of a token across gateways, per token (auth.ts connectionKey) and per
   * subject (auth.ts subjectKey). Never rejects: a ledger that cannot answer yields `unavailable`.
   * The admission's release() frees the slots.
   */
  acquire(claims: TokenClaims): Promise<Admission>;
  /** Connections of one subject (a read key's tokens) across gateways; what `subject-limit` refusals name. */
  maxConnectionsPerSubject: number;
  /** Distinct live queries of one tenant registered across gateways (Hub.attach, LiveBus.admit). */
  maxQueriesPerTenant: number;
  /** Stop and restart the socket's delivery of frames (backpressure while hello waits for the ledger). */
  pauseInput(): void;
  resumeInput(): void;
  /** An error frame went out with `code` (counted by the gateway, close-counts.ts). */
  errorFrameSent(code: ErrorCode): void;
  clock(): number;
}

type State = 'awaiting-hello' | 'authenticating' | 'open' | 'closed';

const RATE_STRIKES_BEFORE_CLOSE = 5;
/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Session {
  private state: State = 'awaiting-hello';
  private claims: TokenClaims | undefined;
  /** Frees this connection's slot in the connection ledger; set once admitted. */
  private releaseSlot: (() => void) | undefined;
  /** Frames received while authenticating, handled in order once open. */
  private readonly queued: string[] = [];
  private readonly subs = new Map<string, Subscription>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly subscribeRate: SubscribeRate;
  private strikes = 0;
  private readonly syncIo: SyncIo;

  constructor(
    private readonly context: SessionContext,
    private readonly outbox: Outbox,
    private readonly closeSocket: (code: number, reason: string) => void,
  ) {
    this.subscribeRate = new SubscribeRate(context.limits.subscribesPerSecond, context.clock());
    this.syncIo = { bus: context.bus, outbox, firstFramesTimeoutMs: context.firstFramesTimeoutMs, send: (message) => this.send(message) };
    this.later(context.helloTimeoutMs, () => {
      if (this.state === 'awaiting-hello') {
        this.close(CLOSE.TIMEOUT, `no hello within ${context.helloTimeoutMs} ms`);
      }
    });
  }

  private later(ms: number, run: () => void): void {
    // setTimeout fires at once beyond 2^31 - 1 ms (a token valid for weeks): wait in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    const timer = setTimeout(ms > MAX_TIMER_MS ? () => this.later(ms - MAX_TIMER_MS, run) : run, step);
    timer.unref();
    this.timers.push(timer);
  }

  private send(message: object): void {
    this.outbox.sendControl(JSON.stringify(message));
  }

  /** Every error frame goes out here, so each is counted once, by its code; the text is the catalogue's unless given. */
  private error(code: ErrorCode, params: Record<string, string | number> = {}, id?: string, message = new PanecastError(code, params).message): void {
    this.context.errorFrameSent(code);
    this.send(id === undefined ? { type: 'error', code, message } : { type: 'error', code, message, id });
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') {
      return;
    }
    if (this.state === 'authenticating') {
      // A paused socket would never read the peer's answer to our close frame: the handshake would hang.
      this.context.resumeInput();
    }
    this.closeSocket(code, reason);
    this.dispose();
  }

  /** The socket is gone: release everything. */
  dispose(): void {
    if (this.state === 'closed') {
      return;
    }
    this.state = 'closed';
    this.queued.length = 0;
    this.timers.forEach(clearTimeout);
    for (const sub of this.subs.values()) {
      sub.closed = true;
      void this.context.hub.detach(sub.key, sub);
    }
    this.subs.clear();
    // Set once open. Closed while authenticating: admitted() frees the slot the ledger grants later.
    this.releaseSlot?.();
  }

  get subscriptions(): number {
    return this.subs.size;
  }

  receive(text: string): void {
    if (this.state === 'closed') {
      return;
    }
    if (this.state === 'authenticating') {
      this.queued.push(text);
      return;
    }
    const parsed = parseClientMessage(text, this.context.limits);
    if (!parsed.ok) {
      this.error(parsed.code, {}, parsed.id, parsed.message);
      if (parsed.code === 'PANECAST_ERR_UNSUPPORTED_VERSION') {
        this.close(CLOSE.UNSUPPORTED_VERSION, parsed.code);
      } else if (parsed.code === 'PANECAST_ERR_FRAME_TOO_LARGE') {
        this.close(CLOSE.MESSAGE_TOO_BIG, parsed.code);
      } else if (this.state === 'awaiting-hello') {
        this.close(CLOSE.AUTH_FAILED, 'PANECAST_ERR_HELLO_REQUIRED');
      }
      return;
    }
    this.handle(parsed.message);
  }

  private handle(message: ClientMessage): void {
    if (this.state === 'awaiting-hello') {
      if (message.type !== 'hello') {
        this.error('PANECAST_ERR_HELLO_REQUIRED', { type: message.type }, 'id' in message ? message.id : undefined);
        this.close(CLOSE.AUTH_FAILED, 'PANECAST_ERR_HELLO_REQUIRED');
        return;
      }
      this.hello(message.token);
      return;
    }
    switch (message.type) {
      case 'hello':
        this.error('PANECAST_ERR_HELLO_REPEATED');
        return;
      case 'ping':
        this.send({ type: 'pong', id: message.id });
        return;
      case 'unsubscribe':
        this.unsubscribe(message.id, message.sub);
        return;
      case 'subscribe':
        this.subscribe(message);
        return;
    }
  }

  private hello(token: string): void {
    const result = this.context.verify(token);
    if (!result.ok) {
      this.error(result.code);
      this.close(result.code === 'PANECAST_ERR_TOKEN_EXPIRED' ? CLOSE.TOKEN_EXPIRED : CLOSE.AUTH_FAILED, result.code);
      return;
    }
    this.state = 'authenticating';
    this.context.pauseInput();
    void this.context
      .acquire(result.claims)
      .then((admission) => this.admitted(result.claims, admission))
      .catch((error: Error) => {
        // A throw here has no socket handler above it to land in: end this session, not the process.
        console.warn(`session: hello failed: ${error.message}`);
        this.close(CLOSE.INTERNAL_ERROR, 'PANECAST_ERR_INTERNAL');
      });
  }

  /** The ledger's answer to hello. */
  private admitted(claims: TokenClaims, admission: Admission): void {
    if (this.state === 'closed') {
      // The socket went while the ledger decided: the slot it granted has no connection.
      if (admission.admitted) {
        admission.release();
      }
      return;
    }
    if (!admission.admitted) {
      if (admission.reason === 'limit') {
        this.error('PANECAST_ERR_TOO_MANY_CONNECTIONS', { limit: this.context.limits.maxConnectionsPerToken });
        this.close(CLOSE.TOO_MANY_CONNECTIONS, 'PANECAST_ERR_TOO_MANY_CONNECTIONS');
      } else if (admission.reason === 'subject-limit') {
        // The same close as the token's limit (reconnect with backoff); the code says which limit.
        this.error('PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS', { limit: this.context.maxConnectionsPerSubject });
        this.close(CLOSE.TOO_MANY_CONNECTIONS, 'PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS');
      } else {
        // Refuse rather than admit uncounted: an unlimited token is what the limit exists to prevent,
        // and the client's reconnect with backoff finds the ledger (or another gateway) back.
        this.error('PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE');
        this.close(CLOSE.INTERNAL_ERROR, 'PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE');
      }
      return;
    }
    this.releaseSlot = admission.release;
    this.claims = claims;
    this.state = 'open';
    this.send({ type: 'welcome', version: PROTOCOL_VERSION, server: this.context.instanceId, heartbeatMs: this.context.heartbeatMs, limits: this.context.limits });
    this.scheduleExpiry(claims);
    // Frames that came with hello, in arrival order; one may close the session (stop there).
    for (const text of this.queued.splice(0)) {
      this.receive(text);
    }
    if (this.state === 'open') {
      this.context.resumeInput();
    }
  }

  private scheduleExpiry(claims: TokenClaims): void {
    const expiresAt = claims.exp * 1000;
    if (Number.isFinite(expiresAt)) {
      const now = this.context.clock();
      this.later(Math.max(0, expiresAt - this.context.expiryNoticeMs - now), () => this.send({ type: 'expiring', at: expiresAt }));
      this.later(Math.max(0, expiresAt - now), () => {
        this.error('PANECAST_ERR_TOKEN_EXPIRED');
        this.close(CLOSE.TOKEN_EXPIRED, 'PANECAST_ERR_TOKEN_EXPIRED');
      });
    }
  }

  /** The connection's subscribe rate (protocol SubscribeRate); a granted subscribe clears the strikes. */
  private allowSubscribe(): boolean {
    if (this.subscribeRate.take(this.context.clock())) {
      this.strikes = 0;
      return true;
    }
    return false;
  }

  private compile(message: SubscribeMessage): { query: CompiledQuery; input: WindowQuery } {
    const input = toEngineQuery(message.query) as WindowQuery;
    const tenant = (this.claims as TokenClaims).tenant;
    const query = compileQuery(input, this.context.definitionsFor(tenant), this.context.paneMs);
    if (query.windows.sizeMs > this.context.maxLiveWindowMs) {
      throw new PanecastError('PANECAST_ERR_LIVE_WINDOW_TOO_LONG', { limit: this.context.maxLiveWindowMs, size: query.windows.sizeMs });
    }
    return { query, input };
  }

  private subscribe(message: SubscribeMessage): void {
    if (!this.allowSubscribe()) {
      this.error('PANECAST_ERR_RATE_LIMITED', { limit: this.context.limits.subscribesPerSecond }, message.id);
      if (++this.strikes >= RATE_STRIKES_BEFORE_CLOSE) {
        this.close(CLOSE.RATE_LIMITED, 'PANECAST_ERR_RATE_LIMITED');
      }
      return;
    }
    if (this.subs.has(message.sub)) {
      this.error('PANECAST_ERR_SUB_EXISTS', { sub: message.sub }, message.id);
      return;
    }
    if (this.subs.size >= this.context.limits.maxSubscriptions) {
      this.error('PANECAST_ERR_TOO_MANY_SUBSCRIPTIONS', { limit: this.context.limits.maxSubscriptions }, message.id);
      return;
    }
    let compiled: { query: CompiledQuery; input: WindowQuery };
    try {
      compiled = this.compile(message);
    } catch (error) {
      if (error instanceof PanecastError) {
        this.error(error.code, {}, message.id, error.message);
        return;
      }
      throw error;
    }
    const json = this.context.hub.internSubId(JSON.stringify(message.sub));
    const sub = new Subscription(message.sub, compiled.query.key, json, this.outbox, (gapped, resumeSeq) => this.resync(gapped, resumeSeq));
    this.subs.set(sub.id, sub);
    void this.start(sub, message.id, compiled.input, message.resume?.seq).catch((error: Error) => {
      // A refusal (the tenant's distinct queries at their cap) is an answer, not a failure.
      const refusal = error instanceof PanecastError;
      if (!refusal) {
        console.warn(`session: subscription ${sub.id} failed: ${error.message}`);
      }
      if (!sub.closed) {
        this.subs.delete(sub.id);
        sub.closed = true;
        void this.context.hub.detach(sub.key, sub);
        if (refusal) {
          this.error(error.code, {}, message.id, error.message);
        } else {
          this.error('PANECAST_ERR_INTERNAL', {}, message.id, 'The subscription could not be served; retry');
        }
      }
    });
  }

  private async start(sub: Subscription, requestId: string, input: WindowQuery, resumeSeq: number | undefined): Promise<void> {
    const tenant = (this.claims as TokenClaims).tenant;
    await this.context.hub.attach({ key: sub.key, query: input, tenant }, sub, this.context.maxQueriesPerTenant);
    await syncSubscription(sub, this.syncIo, { requestId }, false, resumeSeq);
  }

  private unsubscribe(requestId: string, subId: string): void {
    const sub = this.subs.get(subId);
    if (sub === undefined) {
      this.error('PANECAST_ERR_SUB_UNKNOWN', { sub: subId }, requestId);
      return;
    }
    sub.closed = true;
    this.subs.delete(subId);
    this.outbox.forget(`${sub.json}\u0000`);
    void this.context.hub.detach(sub.key, sub);
    this.send({ type: 'unsubscribed', id: requestId, sub: subId });
  }

  /**
   * Re-syncs a live subscription after a gap: from `resumeSeq` through the ring when it still can, else a
   * fresh snapshot. A sync already running needs no second one: a gap it misses shows at the next frame.
   */
  private resync(sub: Subscription, resumeSeq?: number): void {
    if (sub.syncing || sub.closed) {
      return;
    }
    syncSubscription(sub, this.syncIo, undefined, true, resumeSeq).catch((error: Error) => {
      console.warn(`session: re-sync of ${sub.id} failed: ${error.message}`);
      this.close(CLOSE.INTERNAL_ERROR, 'PANECAST_ERR_INTERNAL');
    });
  }
}
