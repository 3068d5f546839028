/**
 * Redis adapter of the live bus (live-bus.ts). Layout under
 * `panecast:<namespace>:live`:
 *   :q:{<id>}:seq     string  last seq of the query (a numbering starts at numberingBase)
 *   :q:{<id>}:ring    list    the last `replayFrames` frames (JSON)
 *   :q:{<id>}:state   hash    "<start>|<end>|<series>" → latest frame (JSON)
 *   :q:{<id>}:ends    zset    state field → window end (pruning)
 *   :q:{<id>}         channel published batches, a JSON array of frames
 *   :queries          hash    query key → JSON query (the registry)
 *   :leases           zset    query key → lease expiry (epoch ms)
 *   :tenant:<t>:queries zset  the same, for the queries of tenant <t> only (admit counts them)
 *   :registered       channel a query key newly registered
 *   :leader           string  instance id of the composer, with a TTL
 * `<id>` is a hash of the query's canonical key; the braces keep a query's
 * keys in one slot should the deployment move to Redis Cluster.
 *
 * Numbering, ring, state and publish happen in one Lua script, so the channel
 * carries batches in seq order and a snapshot (seq + state, read in one
 * script) holds exactly the frames up to its seq.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { ACTIVE_SCRIPT, ADMIT_SCRIPT, LEAD_SCRIPT, PUBLISH_SCRIPT, REGISTER_SCRIPT, REPLAY_SCRIPT, RESIGN_SCRIPT, SNAPSHOT_SCRIPT } from './redis-live-bus-scripts';
import { framesAfter, NotLeaderError, sortFrames, stateField, type FrameListener, type LiveBus, type LiveBusOptions, type LiveFrame, type LiveSnapshot, type NewFrame, type RegisteredQuery } from './live-bus';

/** The key holding the composer leader's instance id; the hot store's writes are fenced by it too. */
export function leaderKey(namespace: string): string {
  return `panecast:${namespace}:live:leader`;
}

/** Idle queries' keys expire after this long without a publish. */
const QUERY_TTL_MS = 3600_000;

function frameBody(frame: NewFrame): string {
  // `{"seq":N,` is prepended by the script.
  return JSON.stringify({ kind: frame.kind, series: frame.series, window: frame.window, value: frame.value, final: frame.final }).slice(1);
}

export class RedisLiveBus implements LiveBus {
  private readonly prefix: string;
  private readonly leaderKey: string;
  private readonly subscriber: Redis;
  /** channel → query key, and query key → listeners. */
  private readonly channels = new Map<string, string>();
  private readonly watchers = new Map<string, Set<FrameListener>>();
  private readonly registeredListeners: Array<(query: RegisteredQuery) => void> = [];
  /** The one SUBSCRIBE to announcements, shared by every onRegistered() caller. */
  private registeredSubscription: Promise<void> | undefined;
  private readonly resubscribedListeners: Array<() => void> = [];
  /** The subscriber was ready once: any later 'ready' follows a lost connection. */
  private subscriberReady = false;
  /** The id of this bus's last successful lead(): the one publish() speaks for. */
  private publisher: string | undefined;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    private readonly options: LiveBusOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.prefix = `panecast:${namespace}:live`;
    this.leaderKey = leaderKey(namespace);
    // A subscribed connection can run nothing else: a dedicated one.
    this.subscriber = redis.duplicate({ enableAutoPipelining: false });
    this.subscriber.on('error', (error: Error) => console.warn(`redis live bus: ${error.message}`));
    this.subscriber.on('message', (channel: string, text: string) => this.deliver(channel, text));
    this.subscriber.on('ready', () => {
      if (this.subscriberReady) {
        void this.resubscribed();
      }
      this.subscriberReady = true;
    });
  }

  /** After a reconnect: once the channels are subscribed again, the listeners fetch what was published meanwhile. */
  private async resubscribed(): Promise<void> {
    const channels = [...this.channels.keys()];
    try {
      // ioredis re-subscribes by itself right after 'ready'; this second SUBSCRIBE (harmless) answers once that holds.
      if (channels.length > 0) {
        await this.subscriber.subscribe(...channels);
      }
    } catch (error) {
      console.warn(`redis live bus: re-subscribe failed: ${(error as Error).message}`);
    }
    this.resubscribedListeners.forEach((listener) => listener());
  }

  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }

  private id(key: string): string {
    return createHash('sha1').update(key).digest('hex').slice(0, 20);
  }

  private keysOf(key: string): { seq: string; ring: string; state: string; ends: string; channel: string } {
    const base = `${this.prefix}:q:{${this.id(key)}}`;
    return { seq: `${base}:seq`, ring: `${base}:ring`, state: `${base}:state`, ends: `${base}:ends`, channel: base };
  }

  private deliver(channel: string, text: string): void {
    if (channel === `${this.prefix}:registered`) {
      try {
        const query = JSON.parse(text) as RegisteredQuery;
        this.registeredListeners.forEach((listener) => listener(query));
      } catch {
        console.warn('redis live bus: unreadable registration');
      }
      return;
    }
    const key = this.channels.get(channel);
    const listeners = key === undefined ? undefined : this.watchers.get(key);
    if (listeners === undefined || listeners.size === 0) {
      return;
    }
    let frames: LiveFrame[];
    try {
      frames = JSON.parse(text) as LiveFrame[];
    } catch {
      console.warn(`redis live bus: unreadable batch on ${channel}`);
      return;
    }
    for (const listener of listeners) {
      listener(frames);
    }
  }

  async publish(key: string, frames: readonly NewFrame[], horizon: number): Promise<number> {
    const publisher = this.publisher ?? '';
    const keys = this.keysOf(key);
    const args: string[] = [keys.channel, String(this.options.replayFrames), String(horizon), String(QUERY_TTL_MS), publisher];
    for (const frame of frames) {
      args.push(stateField(frame), String(frame.window.end), frameBody(frame));
    }
    try {
      const seq = await this.redis.eval(PUBLISH_SCRIPT, 5, keys.seq, keys.ring, keys.state, keys.ends, this.leaderKey, ...args);
      return Number(seq);
    } catch (error) {
      if ((error as Error).message.includes('PANECAST_NOT_LEADER')) {
        throw new NotLeaderError(publisher || '(never led)');
      }
      throw error;
    }
  }

  async activeQueries(): Promise<RegisteredQuery[]> {
    const rows = (await this.redis.eval(ACTIVE_SCRIPT, 2, `${this.prefix}:queries`, `${this.prefix}:leases`, String(this.clock()))) as Array<string | null>;
    return rows.filter((row): row is string => row !== null).map((row) => JSON.parse(row) as RegisteredQuery);
  }

  onRegistered(listener: (query: RegisteredQuery) => void): Promise<void> {
    this.registeredListeners.push(listener);
    if (this.registeredSubscription === undefined) {
      // Pub/sub keeps nothing: an announcement published before Redis confirms the SUBSCRIBE (which is
      // when ioredis resolves it; the connection may still be opening) is lost, hence the promise.
      const subscribed = this.subscriber.subscribe(`${this.prefix}:registered`).then(() => undefined);
      subscribed.catch((error: Error) => {
        console.warn(`redis live bus: ${error.message}`);
        // The next caller tries again.
        if (this.registeredSubscription === subscribed) {
          this.registeredSubscription = undefined;
        }
      });
      this.registeredSubscription = subscribed;
    }
    return this.registeredSubscription;
  }

  async lead(instanceId: string, ttlMs: number): Promise<boolean> {
    const leads = (await this.redis.eval(LEAD_SCRIPT, 1, this.leaderKey, instanceId, String(ttlMs))) === 1;
    if (leads) {
      this.publisher = instanceId;
    }
    return leads;
  }

  async resign(instanceId: string): Promise<void> {
    await this.redis.eval(RESIGN_SCRIPT, 1, this.leaderKey, instanceId);
  }

  private tenantKey(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:queries`;
  }

  /**
   * A tenant's set expires by itself once no lease in it is renewed; its members' scores (this process's
   * clock) decide what counts, the TTL (Redis's clock) only collects the set, so it gets a margin.
   */
  private get tenantSetTtlMs(): string {
    return String(2 * this.options.queryLeaseMs);
  }

  async register(queries: readonly RegisteredQuery[]): Promise<void> {
    if (queries.length === 0) {
      return;
    }
    const now = this.clock();
    const keys = [`${this.prefix}:queries`, `${this.prefix}:leases`];
    /** Tenant → its set's index in KEYS (1-based, as Lua counts). */
    const tenantIndex = new Map<string, number>();
    const args = [String(now), String(now + this.options.queryLeaseMs), `${this.prefix}:registered`, this.tenantSetTtlMs];
    for (const query of queries) {
      let index = 0;
      if (query.tenant !== undefined) {
        index = tenantIndex.get(query.tenant) ?? keys.push(this.tenantKey(query.tenant));
        tenantIndex.set(query.tenant, index);
      }
      args.push(query.key, JSON.stringify(query), String(index));
    }
    await this.redis.eval(REGISTER_SCRIPT, keys.length, ...keys, ...args);
  }

  async admit(query: RegisteredQuery & { tenant: string }, limit: number): Promise<boolean> {
    const now = this.clock();
    const admitted = await this.redis.eval(
      ADMIT_SCRIPT,
      3,
      `${this.prefix}:queries`,
      `${this.prefix}:leases`,
      this.tenantKey(query.tenant),
      String(now),
      String(now + this.options.queryLeaseMs),
      `${this.prefix}:registered`,
      this.tenantSetTtlMs,
      query.key,
      JSON.stringify(query),
      String(limit),
    );
    return admitted === 1;
  }

  async watch(key: string, listener: FrameListener): Promise<void> {
    let listeners = this.watchers.get(key);
    if (listeners === undefined) {
      listeners = new Set();
      this.watchers.set(key, listeners);
      const { channel } = this.keysOf(key);
      this.channels.set(channel, key);
      listeners.add(listener);
      await this.subscriber.subscribe(channel);
      return;
    }
    listeners.add(listener);
  }

  async unwatch(key: string, listener: FrameListener): Promise<void> {
    const listeners = this.watchers.get(key);
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) {
      return;
    }
    this.watchers.delete(key);
    const { channel } = this.keysOf(key);
    this.channels.delete(channel);
    await this.subscriber.unsubscribe(channel);
  }

  async snapshot(key: string): Promise<LiveSnapshot | undefined> {
    const keys = this.keysOf(key);
    const result = (await this.redis.eval(SNAPSHOT_SCRIPT, 2, keys.seq, keys.state)) as [string, string[]] | null;
    if (result === null) {
      return undefined;
    }
    return { seq: Number(result[0]), frames: sortFrames(result[1].map((text) => JSON.parse(text) as LiveFrame)) };
  }

  async replay(key: string, afterSeq: number): Promise<LiveFrame[] | undefined> {
    const keys = this.keysOf(key);
    const result = (await this.redis.eval(REPLAY_SCRIPT, 2, keys.seq, keys.ring)) as [string, string[]] | null;
    if (result === null) {
      return undefined;
    }
    const seq = Number(result[0]);
    const from = result[1].length - (seq - afterSeq);
    if (afterSeq > seq || afterSeq < 0 || from < 0) {
      // Ahead of the query, or no longer (or never: an earlier numbering's seq) in the ring: nothing to parse.
      return undefined;
    }
    // Only the frames after afterSeq are parsed (usually a few of the ring's 512).
    return framesAfter(result[1].slice(from).map((text) => JSON.parse(text) as LiveFrame), seq, afterSeq);
  }

  async close(): Promise<void> {
    this.watchers.clear();
    this.channels.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
