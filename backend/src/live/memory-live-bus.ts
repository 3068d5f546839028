/** In-memory twin of the Redis live bus (live-bus.ts): same numbering, ring, state and leases. */
import { framesAfter, NotLeaderError, numberingBase, sortFrames, stateField, type FrameListener, type LiveBus, type LiveBusOptions, type LiveFrame, type LiveSnapshot, type NewFrame, type RegisteredQuery } from './live-bus';

interface QueryLog {
  seq: number;
  composed: boolean;
  ring: LiveFrame[];
  state: Map<string, LiveFrame>;
}

export class MemoryLiveBus implements LiveBus {
  private readonly logs = new Map<string, QueryLog>();
  private readonly watchers = new Map<string, Set<FrameListener>>();
  private readonly registry = new Map<string, { query: RegisteredQuery; expiresAt: number }>();
  /** Tenant → query key → lease expiry: what admit() counts (the Redis bus's per-tenant sorted set). */
  private readonly tenantLeases = new Map<string, Map<string, number>>();
  private readonly registeredListeners: Array<(query: RegisteredQuery) => void> = [];
  private leader: { id: string; expiresAt: number } | undefined;
  /** The id of this bus's last successful lead(): the one publish() speaks for. */
  private publisher: string | undefined;

  constructor(
    private readonly options: LiveBusOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  private log(key: string): QueryLog {
    let log = this.logs.get(key);
    if (log === undefined) {
      // A new numbering: this process's clock puts it above the one a previous process gave the query.
      log = { seq: numberingBase(this.clock()), composed: false, ring: [], state: new Map() };
      this.logs.set(key, log);
    }
    return log;
  }

  async publish(key: string, frames: readonly NewFrame[], horizon: number): Promise<number> {
    const publisher = this.publisher ?? '(never led)';
    if (this.leader === undefined || this.leader.id !== publisher || this.leader.expiresAt <= this.clock()) {
      throw new NotLeaderError(publisher);
    }
    const log = this.log(key);
    const numbered = frames.map((frame) => ({ ...frame, seq: ++log.seq }));
    log.composed = true;
    for (const frame of numbered) {
      log.ring.push(frame);
      log.state.set(stateField(frame), frame);
    }
    if (log.ring.length > this.options.replayFrames) {
      log.ring.splice(0, log.ring.length - this.options.replayFrames);
    }
    for (const [field, frame] of log.state) {
      if (frame.window.end < horizon) {
        log.state.delete(field);
      }
    }
    const listeners = this.watchers.get(key);
    if (listeners !== undefined) {
      // Delivered after the publish settles, like a Pub/Sub message.
      queueMicrotask(() => {
        for (const listener of listeners) {
          listener(numbered);
        }
      });
    }
    return log.seq;
  }

  async activeQueries(): Promise<RegisteredQuery[]> {
    const now = this.clock();
    const active: RegisteredQuery[] = [];
    for (const [key, entry] of this.registry) {
      if (entry.expiresAt > now) {
        active.push(entry.query);
      } else {
        this.registry.delete(key);
      }
    }
    // Lapsed tenant leases too, as Redis expires a tenant's set: a tenant that registers nothing new keeps none.
    for (const [tenant, leases] of this.tenantLeases) {
      for (const [key, expiresAt] of leases) {
        if (expiresAt <= now) {
          leases.delete(key);
        }
      }
      if (leases.size === 0) {
        this.tenantLeases.delete(tenant);
      }
    }
    return active;
  }

  onRegistered(listener: (query: RegisteredQuery) => void): Promise<void> {
    // In one process every later registration reaches the listener: subscribed at once.
    this.registeredListeners.push(listener);
    return Promise.resolve();
  }

  async lead(instanceId: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    if (this.leader === undefined || this.leader.expiresAt <= now || this.leader.id === instanceId) {
      this.leader = { id: instanceId, expiresAt: now + ttlMs };
      this.publisher = instanceId;
      return true;
    }
    return false;
  }

  /** Whether `instanceId` holds the leadership lease now (fences the memory hot store's writers). */
  holdsLease(instanceId: string): boolean {
    return this.leader !== undefined && this.leader.id === instanceId && this.leader.expiresAt > this.clock();
  }

  async resign(instanceId: string): Promise<void> {
    if (this.leader?.id === instanceId) {
      this.leader = undefined;
    }
  }

  async register(queries: readonly RegisteredQuery[]): Promise<void> {
    const now = this.clock();
    for (const query of queries) {
      this.put(query, now);
    }
  }

  async admit(query: RegisteredQuery & { tenant: string }, limit: number): Promise<boolean> {
    const now = this.clock();
    if (!this.isRegistered(query.key, now)) {
      const leases = this.tenantLeases.get(query.tenant);
      let count = 0;
      for (const [key, expiresAt] of leases ?? []) {
        if (expiresAt > now) {
          count++;
        } else {
          leases?.delete(key);
        }
      }
      if (count >= limit) {
        return false;
      }
    }
    this.put(query, now);
    return true;
  }

  private isRegistered(key: string, now: number): boolean {
    const known = this.registry.get(key);
    return known !== undefined && known.expiresAt > now;
  }

  private put(query: RegisteredQuery, now: number): void {
    const expiresAt = now + this.options.queryLeaseMs;
    const registered = this.isRegistered(query.key, now);
    this.registry.set(query.key, { query, expiresAt });
    if (query.tenant !== undefined) {
      let leases = this.tenantLeases.get(query.tenant);
      if (leases === undefined) {
        leases = new Map();
        this.tenantLeases.set(query.tenant, leases);
      }
      leases.set(query.key, expiresAt);
    }
    // New, or back after its lease lapsed: announced, as the Redis bus does.
    if (!registered) {
      queueMicrotask(() => this.registeredListeners.forEach((listener) => listener(query)));
    }
  }

  async watch(key: string, listener: FrameListener): Promise<void> {
    let listeners = this.watchers.get(key);
    if (listeners === undefined) {
      listeners = new Set();
      this.watchers.set(key, listeners);
    }
    listeners.add(listener);
  }

  onResubscribed(_listener: () => void): void {
    // In process: no connection to lose, every batch reaches its listeners.
  }

  async unwatch(key: string, listener: FrameListener): Promise<void> {
    const listeners = this.watchers.get(key);
    listeners?.delete(listener);
    if (listeners?.size === 0) {
      this.watchers.delete(key);
    }
  }

  async snapshot(key: string): Promise<LiveSnapshot | undefined> {
    const log = this.logs.get(key);
    if (log === undefined || !log.composed) {
      return undefined;
    }
    return { seq: log.seq, frames: sortFrames([...log.state.values()]) };
  }

  async replay(key: string, afterSeq: number): Promise<LiveFrame[] | undefined> {
    const log = this.logs.get(key);
    return log === undefined ? undefined : framesAfter(log.ring, log.seq, afterSeq);
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }
}
