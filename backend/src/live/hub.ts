/**
 * A gateway's side of the live bus: one bus watch per query however many of
 * its clients watch it, lease renewal for the queries it serves, and
 * delivery of each batch to every watcher in seq order.
 *
 * Each frame is serialized once per batch; a watcher's frame is that text
 * with its own `sub` spliced in, encoded as a WebSocket frame once per
 * distinct sub id (dashboards mostly use the same ids, so usually once per
 * broadcast) and written as is to every client with that id.
 *
 * A batch whose first seq skips past the last one delivered (a Pub/Sub
 * message lost while the subscriber reconnected) is preceded by the missing
 * frames read from the bus's replay ring, or, when the ring no longer has
 * them, each watcher is told to re-sync (a fresh snapshot). A numbering that
 * starts again (the query's bus state was lost) starts far above the old one
 * (live-bus.ts numberingBase), so it shows as such a skip, and the ring, which
 * holds the new numbering only, cannot fill it: the watchers re-sync. A replay read
 * that fails is retried a few times; if it still fails the watchers re-sync
 * too, so a quiet query never sits on a silent gap until its next frame.
 * For the same reason, once the bus has resubscribed after losing its
 * connection, every query fetches from the ring what was published meanwhile.
 *
 * Deliveries run in slices of the event loop (delivery-slices.ts): past the
 * budget of a turn, a query's batches wait for the next one, conflated to the
 * latest frame per series × window and marked `coalesced` where seqs skip.
 */
import { PanecastError } from '../errors';
import { DELIVERY_BUDGET_MS, DeliverySlices, PendingFrames } from './delivery-slices';
import { textFrame, type OutFrame } from './framed-socket';
import { stateField, type LiveBus, type LiveFrame, type RegisteredQuery } from './live-bus';

/** Distinct sub ids whose wire bytes a frame keeps; clients beyond them (ids unique per client) get theirs uncached. */
const MAX_CACHED_SUBS = 16;
/** Sub ids the hub keeps one string of (internSubId); further ids go uninterned, still correct. */
const MAX_INTERNED_SUBS = 4096;
/** What a frame sent in place of superseded ones ends with (protocol: the client accepts the seq skip). */
const COALESCED_MARK = ',"coalesced":true}';
/** Waits before each retry of a failed replay read; then the watchers re-sync. */
export const REPLAY_RETRY_MS: readonly number[] = [50, 250, 1000];

/**
 * A frame serialized once for every watcher: its text is `head + sub + tail`
 * (sub = the sub id's JSON), its wire bytes (the whole WebSocket frame) are
 * encoded once per distinct sub id and written as they are to each client.
 */
export class SharedFrame implements OutFrame {
  /** The wire bytes of the first sub id asked for: usually the only one of a broadcast. */
  private firstSub: string | undefined;
  private firstWire: Buffer | undefined;
  private otherWires: Map<string, Buffer> | undefined;

  constructor(
    readonly frame: LiveFrame,
    /** `{"type":"update","sub":` — what precedes the sub id. */
    readonly head: string,
    /** `,"seq":…}` — what follows it. */
    readonly tail: string,
    /** sub-independent identity of what the frame supersedes. */
    readonly identity: string,
    /**
     * The latest seq a watcher must have taken before this frame: seq − 1,
     * or less for a frame that stands in for superseded ones (conflated).
     */
    readonly follows: number = frame.seq - 1,
  ) {}

  text(sub: string): string {
    return this.head + sub + this.tail;
  }

  coalescedText(sub: string): string {
    const text = this.text(sub);
    return this.follows < this.frame.seq - 1 ? text : `${text.slice(0, -1)}${COALESCED_MARK}`;
  }

  wire(sub: string): Buffer {
    if (sub === this.firstSub) {
      return this.firstWire as Buffer;
    }
    if (this.firstSub === undefined) {
      this.firstSub = sub;
      this.firstWire = textFrame(this.text(sub));
      return this.firstWire;
    }
    let wire = this.otherWires?.get(sub);
    if (wire === undefined) {
      wire = textFrame(this.text(sub));
      this.otherWires ??= new Map();
      if (this.otherWires.size < MAX_CACHED_SUBS) {
        this.otherWires.set(sub, wire);
      }
    }
    return wire;
  }
}

export interface Watcher {
  /** Frames of the query, in seq order, no repeats. */
  deliver(frames: readonly SharedFrame[]): void;
  /** Frames were lost beyond the replay ring: take a fresh snapshot. */
  resync(): void;
}

interface Channel {
  query: RegisteredQuery;
  watchers: Set<Watcher>;
  lastSeq: number;
  /** Serializes gap repair: batches wait for an in-flight replay read. */
  chain: Promise<void>;
  /** Settles when the bus watches the query (a SUBSCRIBE round trip) and it is registered: every attach waits for it. */
  ready: Promise<void>;
  listener: (frames: readonly LiveFrame[]) => void;
  /** Batches waiting for a delivery slice, conflated; undefined when none wait. */
  pending: PendingFrames | undefined;
  /**
   * Set by a repair after a resubscription: lastSeq before it. Batches published after the resubscription
   * may also have been read by that repair: their frames in (repairedAfter, lastSeq] were delivered already.
   */
  repairedAfter: number | undefined;
}

/** One frame for every watcher; `follows` below seq − 1 marks it as standing in for superseded frames. */
function shareFrame(frame: LiveFrame, follows: number): SharedFrame {
  const body = frame.kind === 'correction'
    ? { seq: frame.seq, series: frame.series, window: frame.window, value: frame.value }
    : { seq: frame.seq, series: frame.series, window: frame.window, value: frame.value, final: frame.final };
  const tail = `,${JSON.stringify(body).slice(1)}`;
  const skips = follows < frame.seq - 1;
  return new SharedFrame(frame, `{"type":"${frame.kind}","sub":`, skips ? `${tail.slice(0, -1)}${COALESCED_MARK}` : tail, stateField(frame), follows);
}

export function shareFrames(frames: readonly LiveFrame[]): SharedFrame[] {
  return frames.map((frame) => shareFrame(frame, frame.seq - 1));
}

export class Hub {
  private readonly channels = new Map<string, Channel>();
  private readonly subIds = new Map<string, string>();
  private readonly leaseTimer: NodeJS.Timeout;
  gapsRepaired = 0;
  resyncs = 0;
  /** Gaps whose replay read failed every retry (each also counts as a resync). */
  repairsFailed = 0;
  /** Batches that waited for a later delivery slice. */
  deferredBatches = 0;
  /** Frames superseded while their query waited: never sent, a later value of the same series × window was. */
  conflatedFrames = 0;
  private readonly slices: DeliverySlices;
  /** Channels with batches waiting, in the order they began to wait (round robin across slices). */
  private readonly backlog = new Set<Channel>();

  constructor(
    private readonly bus: LiveBus,
    leaseRenewMs: number,
    private readonly retryMs: readonly number[] = REPLAY_RETRY_MS,
    deliveryBudgetMs: number = DELIVERY_BUDGET_MS,
  ) {
    this.leaseTimer = setInterval(() => void this.renewLeases(), leaseRenewMs);
    this.leaseTimer.unref();
    this.slices = new DeliverySlices(deliveryBudgetMs, () => this.drain());
    bus.onResubscribed(() => {
      for (const channel of this.channels.values()) {
        channel.chain = channel.chain.then(() => this.catchUp(channel)).catch((error: Error) => {
          console.warn(`hub: catch-up failed: ${error.message}`);
        });
      }
    });
  }

  /**
   * The one string this hub keeps for a sub id's JSON: sessions pass it to
   * SharedFrame.wire, which then finds the cached bytes by comparing
   * references, without reading each client's own copy of the id.
   */
  internSubId(json: string): string {
    const known = this.subIds.get(json);
    if (known !== undefined) {
      return known;
    }
    if (this.subIds.size < MAX_INTERNED_SUBS) {
      this.subIds.set(json, json);
    }
    return json;
  }

  /**
   * Starts watching `query` for `watcher`; resolves once frames published from now on will reach it.
   * With a tenant and `maxQueriesPerTenant`, a query new to this gateway is admitted by the bus against
   * the tenant's cap on distinct queries; refused, it rejects with PANECAST_ERR_TOO_MANY_LIVE_QUERIES
   * (every watcher that joined meanwhile too). A query this gateway already serves is registered already.
   */
  async attach(query: RegisteredQuery, watcher: Watcher, maxQueriesPerTenant?: number): Promise<void> {
    let channel = this.channels.get(query.key);
    if (channel === undefined) {
      const created: Channel = { query, watchers: new Set(), lastSeq: -1, chain: Promise.resolve(), ready: Promise.resolve(), listener: () => {}, pending: undefined, repairedAfter: undefined };
      created.listener = (frames) => this.receive(created, frames);
      this.channels.set(query.key, created);
      created.ready = this.open(created, maxQueriesPerTenant);
      channel = created;
    }
    channel.watchers.add(watcher);
    // A watcher joining while the watch is on its way waits too: its session reads the snapshot next,
    // and a frame published between that read and the SUBSCRIBE would never reach it.
    await channel.ready;
  }

  private async open(channel: Channel, maxQueriesPerTenant: number | undefined): Promise<void> {
    const { key, tenant } = channel.query;
    try {
      // Watched before registered: the registration wakes the composer, whose first batch must find the watch.
      await this.bus.watch(key, channel.listener);
      if (tenant === undefined || maxQueriesPerTenant === undefined) {
        await this.bus.register([channel.query]);
      } else if (!(await this.bus.admit({ ...channel.query, tenant }, maxQueriesPerTenant))) {
        throw new PanecastError('PANECAST_ERR_TOO_MANY_LIVE_QUERIES', { limit: maxQueriesPerTenant });
      }
    } catch (error) {
      // Every watcher of the channel fails with it (each session answers with an error: the refusal's
      // code, or one the client retries); the next attach watches afresh instead of joining a channel the bus may not watch.
      if (this.channels.get(key) === channel) {
        this.channels.delete(key);
        this.dropPending(channel);
      }
      await this.bus.unwatch(key, channel.listener).catch(() => undefined);
      throw error;
    }
  }

  async detach(key: string, watcher: Watcher): Promise<void> {
    const channel = this.channels.get(key);
    if (channel === undefined || !channel.watchers.delete(watcher) || channel.watchers.size > 0) {
      return;
    }
    this.channels.delete(key);
    this.dropPending(channel);
    await this.bus.unwatch(key, channel.listener);
  }

  private receive(channel: Channel, frames: readonly LiveFrame[]): void {
    channel.chain = channel.chain.then(() => this.deliverInOrder(channel, frames)).catch((error: Error) => {
      console.warn(`hub: delivery failed: ${error.message}`);
    });
  }

  private async deliverInOrder(channel: Channel, received: readonly LiveFrame[]): Promise<void> {
    let frames = received;
    if (channel.repairedAfter !== undefined && frames.length > 0) {
      const lastSeq = channel.lastSeq;
      if ((frames[0] as LiveFrame).seq > channel.repairedAfter && (frames[0] as LiveFrame).seq <= lastSeq) {
        frames = frames.filter((frame) => frame.seq > lastSeq);
        if (frames.length === 0) {
          return;
        }
      }
      channel.repairedAfter = undefined;
    }
    const first = frames[0];
    if (first === undefined) {
      this.dispatch(channel, []);
      return;
    }
    let batch = frames;
    if (channel.lastSeq >= 0 && first.seq <= channel.lastSeq) {
      // Numbering restarted below the old one (a clock stepped back, or state of a bus older than numberingBase).
      // A restart above it, the usual case, takes the gap path below: the ring cannot fill that gap.
      this.resyncAll(channel, frames);
      return;
    }
    if (channel.lastSeq >= 0 && first.seq > channel.lastSeq + 1) {
      const missing = await this.replayWithRetries(channel);
      if (missing === undefined) {
        this.resyncAll(channel, frames);
        return;
      }
      this.gapsRepaired++;
      const upTo = first.seq;
      batch = [...missing.filter((frame) => frame.seq < upTo), ...batch];
    }
    if (batch.length === 0) {
      return;
    }
    channel.lastSeq = (batch[batch.length - 1] as LiveFrame).seq;
    this.dispatch(channel, batch);
  }

  /** After the bus resubscribed: delivers what the channel missed meanwhile, or re-syncs its watchers when the ring lost it. */
  private async catchUp(channel: Channel): Promise<void> {
    if (channel.lastSeq < 0 || this.channels.get(channel.query.key) !== channel) {
      // Nothing delivered yet (each watcher's own sync point shows a gap at the next frame), or no longer watched.
      return;
    }
    const missing = await this.replayWithRetries(channel);
    if (missing === undefined) {
      this.resyncs++;
      this.dropPending(channel);
      // The current seq is unknown: take the next batch as it comes (each watcher filters by its snapshot's seq).
      channel.lastSeq = -1;
      for (const watcher of channel.watchers) {
        watcher.resync();
      }
      return;
    }
    if (missing.length === 0) {
      return;
    }
    this.gapsRepaired++;
    channel.repairedAfter = channel.lastSeq;
    channel.lastSeq = (missing[missing.length - 1] as LiveFrame).seq;
    this.dispatch(channel, missing);
  }

  /** The frames after the channel's last seq; undefined when the ring lost them or every read failed. */
  private async replayWithRetries(channel: Channel): Promise<readonly LiveFrame[] | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.bus.replay(channel.query.key, channel.lastSeq);
      } catch (error) {
        const wait = this.retryMs[attempt];
        if (wait === undefined) {
          this.repairsFailed++;
          console.warn(`hub: gap repair failed ${attempt + 1} times, watchers re-sync: ${(error as Error).message}`);
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private resyncAll(channel: Channel, frames: readonly LiveFrame[]): void {
    this.resyncs++;
    // Waiting frames belong to the numbering the watchers now leave behind.
    this.dropPending(channel);
    channel.lastSeq = (frames[frames.length - 1] as LiveFrame).seq;
    for (const watcher of channel.watchers) {
      watcher.resync();
    }
  }

  /** Delivers now while this turn has budget and nothing of the query waits; else the batch waits, conflated. */
  private dispatch(channel: Channel, frames: readonly LiveFrame[]): void {
    if (channel.pending === undefined && this.slices.inBudget()) {
      this.deliver(channel, shareFrames(frames));
      return;
    }
    channel.pending ??= new PendingFrames();
    channel.pending.add(frames);
    this.deferredBatches++;
    this.backlog.add(channel);
    this.slices.schedule();
  }

  /** A slice: waiting queries in the order they began to wait, while the budget lasts. */
  private drain(): void {
    for (const channel of this.backlog) {
      if (!this.slices.inBudget()) {
        this.slices.schedule();
        return;
      }
      this.backlog.delete(channel);
      const pending = channel.pending;
      channel.pending = undefined;
      if (pending !== undefined) {
        this.conflatedFrames += pending.superseded;
        this.deliver(channel, pending.take().map(({ frame, follows }) => shareFrame(frame, follows)));
      }
    }
  }

  private dropPending(channel: Channel): void {
    channel.pending = undefined;
    this.backlog.delete(channel);
  }

  private deliver(channel: Channel, shared: readonly SharedFrame[]): void {
    this.slices.spend(() => {
      for (const watcher of channel.watchers) {
        watcher.deliver(shared);
      }
    });
  }

  private async renewLeases(): Promise<void> {
    if (this.channels.size === 0) {
      return;
    }
    try {
      await this.bus.register([...this.channels.values()].map((channel) => channel.query));
    } catch (error) {
      console.warn(`hub: lease renewal failed: ${(error as Error).message}`);
    }
  }

  get queries(): number {
    return this.channels.size;
  }

  close(): void {
    clearInterval(this.leaseTimer);
    this.slices.close();
  }
}
