/**
 * The live bus port: how composed window values travel from the one live
 * composer to every gateway, numbered once so that every gateway numbers a
 * query's frames alike (PROTOCOL.md "Sequence numbers and resume").
 *
 * Per query (keyed by the compiled query's canonical key) the bus keeps:
 * - a sequence counter: publish assigns seq = last + 1, … atomically; a new
 *   numbering (the query's first publish, or its state lost: a restarted
 *   embedded process, keys expired or lost in Redis) starts at
 *   numberingBase(now), above every seq an earlier numbering issued;
 * - a replay ring of the last `replayFrames` frames, for resume;
 * - a state: the latest frame of each (series, window) still inside the
 *   snapshot horizon, read with the counter in one step, so a snapshot
 *   "holds everything up to its seq" exactly;
 * - a channel that delivers each published batch, in seq order, to the
 *   gateways watching the query.
 * And, for the composer, a registry of the queries gateways watch (with
 * leases, so a dead gateway's queries stop being composed; counted per
 * tenant, so one tenant cannot make the one composer tail without bound) and
 * a leadership lease (one composer at a time).
 *
 * Redis is the real one (redis-live-bus.ts: Lua scripts + Pub/Sub); the
 * memory twin (memory-live-bus.ts) serves the embedded mode and unit tests.
 */
import type { Series, WindowSpan } from '@panecast/protocol';
import type { WindowQuery } from '../window';
import { groupName } from '../store/window-sink';

export type FrameKind = 'update' | 'correction';

/** A window value as the composer publishes it, before numbering. */
export interface NewFrame {
  kind: FrameKind;
  series: Series;
  window: WindowSpan;
  value: number;
  final: boolean;
}

/** A numbered frame of one query. */
export interface LiveFrame extends NewFrame {
  seq: number;
}

export interface LiveSnapshot {
  /** Everything up to and including this seq is in `frames`. */
  seq: number;
  /** The latest frame of each (series, window) inside the horizon, oldest window first. */
  frames: LiveFrame[];
}

export interface RegisteredQuery {
  key: string;
  query: WindowQuery;
  /**
   * The tenant whose metric the query reads (one tenant per query: a token sees only its tenant's
   * metrics). Its registrations count toward that tenant's cap on distinct queries (admit()); absent,
   * the query counts for no tenant.
   */
  tenant?: string;
}

export type FrameListener = (frames: readonly LiveFrame[]) => void;

export interface LiveBusOptions {
  /** Frames kept per query for resume. */
  replayFrames: number;
  /** A query not re-registered for this long stops being composed. */
  queryLeaseMs: number;
}

export interface LiveBus {
  // --- composer side -------------------------------------------------------
  /**
   * Numbers and stores the frames, drops state entries of windows ending
   * before `horizon`, and delivers them to the query's watchers. An empty
   * list still marks the query as composed (snapshot() answers from then on)
   * and tells watchers waiting for that. Returns the last seq. Throws
   * NotLeaderError, publishing nothing, unless this bus's last successful
   * lead() still holds the leadership lease: the lease fences a composer
   * that stalled past it.
   */
  publish(key: string, frames: readonly NewFrame[], horizon: number): Promise<number>;
  /** Queries registered within their lease. */
  activeQueries(): Promise<RegisteredQuery[]>;
  /**
   * Called when a gateway registers a query (so composing starts at once). Resolves once announcements
   * are subscribed: a registration before that may go unannounced (activeQueries() read afterwards has it).
   */
  onRegistered(listener: (query: RegisteredQuery) => void): Promise<void>;
  /** Takes or renews the leadership lease; true while this instance leads (and may publish). */
  lead(instanceId: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (clean shutdown), if held. */
  resign(instanceId: string): Promise<void>;

  // --- gateway side --------------------------------------------------------
  /**
   * Registers (or renews the lease of) queries this gateway serves, each under its tenant's count too.
   * A renewal is never refused, even above a tenant's cap: its query has watchers (a lease that lapsed
   * while its gateway stalled is counted again, and the tenant's next new queries are refused).
   */
  register(queries: readonly RegisteredQuery[]): Promise<void>;
  /**
   * Registers a query a gateway starts serving, as register() does, unless the query is not registered
   * (within its lease) and its tenant already has `limit` distinct registered queries: then nothing is
   * registered and the answer is false. A query already registered, by any gateway, is always admitted
   * (it costs the composer nothing more). Atomic across gateways: two racing for a tenant's last slot
   * cannot both get it. A query stops counting when its lease lapses (no gateway renews it).
   */
  admit(query: RegisteredQuery & { tenant: string }, limit: number): Promise<boolean>;
  /** Delivers every batch published for `key` from now on, in seq order. */
  watch(key: string, listener: FrameListener): Promise<void>;
  /**
   * Called once the bus's channels are watched again after its connection dropped: batches published
   * meanwhile never reached the listeners, and a quiet query shows no later batch that would reveal the gap.
   */
  onResubscribed(listener: () => void): void;
  unwatch(key: string, listener: FrameListener): Promise<void>;
  /**
   * The current state and its seq; undefined until the composer first published the query. Also read by
   * the composer when it starts a query's tail (a new leader): it publishes only what differs from it.
   */
  snapshot(key: string): Promise<LiveSnapshot | undefined>;
  /**
   * Every frame after `afterSeq` up to the query's seq, or undefined when the ring no longer (or never)
   * held them all: among them a seq of an earlier numbering of the query, which lies below the ring.
   */
  replay(key: string, afterSeq: number): Promise<LiveFrame[] | undefined>;

  close(): Promise<void>;
}

/**
 * Seqs a numbering may issue per millisecond of its life, on average, and still stay below the base
 * of any numbering of the query started later: 1,000,000 frames a second for one query, far beyond
 * what the composer publishes (a value per series × window at most every 250 ms, finals, corrections).
 */
export const SEQS_PER_MS = 1000;

/**
 * Where a new numbering of a query starts: its first frame is base + 1. Clients may hold seqs of an
 * earlier numbering of the same query (they resume with them); starting at the clock, that earlier
 * numbering's seqs all lie below this base (it began earlier and issued fewer than SEQS_PER_MS a
 * millisecond), never inside the new numbering's replay ring, so such a resume gets a fresh snapshot
 * instead of frames of the new numbering taken for those that followed its seq. Epoch ms × 1000
 * stays below 2^53 until the year 2255.
 */
export function numberingBase(epochMs: number): number {
  return Math.floor(epochMs) * SEQS_PER_MS;
}

/**
 * replay()'s answer from a query's ring (oldest first) and its seq: the frames afterSeq + 1 … seq, each
 * present, or undefined. Checked frame by frame, so frames of two numberings (a ring left behind by
 * an earlier one) never pass for a gap-free run.
 */
export function framesAfter(ring: readonly LiveFrame[], seq: number, afterSeq: number): LiveFrame[] | undefined {
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0 || afterSeq > seq) {
    return undefined;
  }
  const from = ring.length - (seq - afterSeq);
  if (from < 0) {
    return undefined;
  }
  const frames = ring.slice(from);
  for (let i = 0; i < frames.length; i++) {
    if ((frames[i] as LiveFrame).seq !== afterSeq + 1 + i) {
      return undefined;
    }
  }
  return frames;
}

/** A publish from an instance that does not hold the leadership lease. */
export class NotLeaderError extends Error {
  constructor(publisher: string) {
    super(`${publisher} does not hold the live composer lease; publish refused`);
    this.name = 'NotLeaderError';
  }
}

/** Identity of a window of a series inside one query's state. */
export function stateField(frame: NewFrame): string {
  // groupName escapes the separators inside values: two series never share a field (or an outbox slot).
  return `${frame.window.start}|${frame.window.end}|${groupName(frame.series)}`;
}

/** Orders snapshot frames by window start, then series, so snapshots read alike everywhere. */
export function sortFrames(frames: LiveFrame[]): LiveFrame[] {
  return frames.sort((a, b) => a.window.start - b.window.start || a.window.end - b.window.end || (stateField(a) < stateField(b) ? -1 : 1));
}
