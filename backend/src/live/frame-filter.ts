/**
 * Which of a live tail's values are news, and which may go out now.
 *
 * The tail re-emits each series' in-progress windows on every poll; only a
 * changed value (or a window turning final, or a correction) is worth a
 * numbered frame on the bus. The composer polls whenever commits land, which
 * can be many times a second, so in-progress values are also paced: a series
 * gets in-progress frames at most once per `seriesIntervalMs`. Pacing is
 * leading-edge — a series that has been quiet goes out at once, a busy one
 * waits for its interval — and a held value is not recorded as sent, so the
 * next poll at or after `dueAt` offers it again (with whatever it became).
 * Finals and corrections are never held, and carry the series' other changed
 * windows along with them.
 *
 * A filter may start from what the bus already holds for its query (seed():
 * the latest frame published per series × window). That is how a new leader,
 * or a tail started again for a query still on the bus, sends only what
 * changed since: re-sending a whole backfill would push the replay ring's
 * frames out (clients could no longer resume across a handover) and give
 * every watcher a burst of duplicates. What the bus holds as final stays
 * final: a final window whose value differs goes out as a correction, and an
 * in-progress value for it (a new leader whose watermark trails its
 * predecessor's, by clock skew) is not sent at all.
 */
import type { LiveUpdate } from '../window';
import type { NewFrame } from './live-bus';

export interface FilterResult {
  frames: NewFrame[];
  /** When the earliest held series may go out; undefined if nothing is held. */
  dueAt: number | undefined;
}

/** What went out for one series: per window start, the last value sent. */
interface SeriesState {
  key: string;
  alive: boolean;
  /** When its last in-progress frame went out; -Infinity if never. */
  lastOut: number;
  sent: Map<number, { value: number; final: boolean; end: number }>;
  /** This call's changed updates of the series (emptied after each call). */
  pending: LiveUpdate[];
  urgent: boolean;
  inProgress: boolean;
}

/** Names and values in name order, as JSON: values are senders' text, so no separator is safe. */
function seriesKey(group: Record<string, string>): string {
  const names = Object.keys(group);
  if (names.length > 1) {
    names.sort();
  }
  const flat: string[] = [];
  for (const name of names) {
    flat.push(name, group[name] as string);
  }
  return JSON.stringify(flat);
}

export class FrameFilter {
  /** The query's first (possibly empty) batch went out, so watchers can take a snapshot. */
  announced = false;
  private readonly byKey = new Map<string, SeriesState>();
  /**
   * A live tail hands out the same label object for a series on every poll,
   * so the series is found by identity, without building its key each time.
   */
  private readonly byLabels = new WeakMap<Record<string, string>, SeriesState>();

  private forgotTo = Number.NEGATIVE_INFINITY;

  constructor(private readonly seriesIntervalMs = 0) {}

  private series(group: Record<string, string>): SeriesState {
    let state = this.byLabels.get(group);
    if (state !== undefined && state.alive) {
      return state;
    }
    const key = seriesKey(group);
    state = this.byKey.get(key);
    if (state === undefined) {
      state = { key, alive: true, lastOut: Number.NEGATIVE_INFINITY, sent: new Map(), pending: [], urgent: false, inProgress: false };
      this.byKey.set(key, state);
    }
    this.byLabels.set(group, state);
    return state;
  }

  /**
   * Records frames the bus already published for the query (its snapshot state) as sent, and the query
   * as announced: from now on only news goes out.
   */
  seed(frames: readonly NewFrame[]): void {
    this.announced = true;
    for (const frame of frames) {
      this.series(frame.series).sent.set(frame.window.start, { value: frame.value, final: frame.final, end: frame.window.end });
    }
  }

  /** The frames to publish now for these updates; forgets windows ending before `horizon`. */
  changed(updates: readonly LiveUpdate[], horizon: number, now = 0): FilterResult {
    const touched: SeriesState[] = [];
    for (let update of updates) {
      const state = this.series(update.group);
      const last = state.sent.get(update.window.start);
      if (!update.correction && last !== undefined) {
        if (last.value === update.value && last.final === update.final) {
          continue;
        }
        if (last.final) {
          // Only after seed(): a tail never offers a window it finalized again unless as a correction.
          if (!update.final) {
            continue;
          }
          update = { ...update, correction: true };
        }
      }
      if (state.pending.length === 0) {
        touched.push(state);
      }
      state.pending.push(update);
      if (update.final || update.correction) {
        state.urgent = true;
      } else {
        state.inProgress = true;
      }
    }
    const frames: NewFrame[] = [];
    let dueAt: number | undefined;
    for (const state of touched) {
      if (!state.urgent && now - state.lastOut < this.seriesIntervalMs) {
        const due = state.lastOut + this.seriesIntervalMs;
        dueAt = dueAt === undefined ? due : Math.min(dueAt, due);
      } else {
        if (state.inProgress) {
          state.lastOut = now;
        }
        for (const update of state.pending) {
          state.sent.set(update.window.start, { value: update.value, final: update.final, end: update.window.end });
          frames.push({ kind: update.correction ? 'correction' : 'update', series: update.group, window: update.window, value: update.value, final: update.final });
        }
      }
      state.pending = [];
      state.urgent = false;
      state.inProgress = false;
    }
    if (horizon > this.forgotTo) {
      // Only when the horizon moved (once a slide): a pass over every series on each poll showed up in profiles.
      this.forgotTo = horizon;
      this.forget(horizon, now);
    }
    return { frames, dueAt };
  }

  private forget(horizon: number, now: number): void {
    for (const [key, state] of this.byKey) {
      for (const [start, entry] of state.sent) {
        if (entry.end < horizon) {
          state.sent.delete(start);
        }
      }
      if (state.sent.size === 0 && now - state.lastOut >= this.seriesIntervalMs) {
        state.alive = false;
        this.byKey.delete(key);
      }
    }
  }
}
