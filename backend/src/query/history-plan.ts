/**
 * Which store answers each window of a history query.
 *
 * The pane store (Redis, or its memory twin) holds per-partition partials in
 * two tiers, each pane hash expiring a retention after its last commit
 * (processor.ts): fine 1 s panes for 1 h, coarse 1 min panes for 24 h. Each
 * partition rolls its fine panes up into a coarse pane once its own
 * watermark passed the coarse pane's end by the allowed lateness, and
 * commits it like any other pane. A partition that falls silent therefore
 * never rolls up its last minutes: a coarse pane is trusted only when every
 * partition either rolled it up or had no event at or after its start.
 *
 * A window [s, s + size) is served by, in order:
 * 1. panes, when it lies in the fine tier;
 * 2. panes, when its slices are whole coarse panes and the part before the
 *    fine tier is in complete coarse panes;
 * 3. history (VictoriaMetrics), when the history writer has written through
 *    its end and history keeps the aggregate for that window;
 * 4. nothing: a gap with a code saying why.
 * Panes come first: they are exact for every aggregate, and the live tail is
 * composed from the same panes, so the seam a dashboard draws is exact.
 */
import { DEFAULT_LIMITS } from '../collect/event';
import { formatMessage, PanecastError, type ErrorCode } from '../errors';
import { newestEventTime, type PartitionProgress } from '../store/pane-state';
import { windowLabel } from '../store/window-sink';
import type { CompiledQuery, StoreOptions } from '../window';

/** The history writer's cursor in the pane-state marks (process/history-writer.ts): pane ends at or before it are written. */
export const HISTORY_CURSOR = 'history';
/** History keeps distinct counts of these windows (process/history-writer.ts). */
export const DISTINCT_WINDOW_MS = 60_000;
/**
 * A pane hash expires a retention after its last commit, and an event may
 * be stamped up to the collector's future limit ahead of the clock: trust a
 * tier only this much short of its retention.
 */
const TRUST_MARGIN_MS = DEFAULT_LIMITS.maxFutureMs;

export interface Tiers {
  /** Fine panes are read from here on; aligned up to the coarse pane, so each tier holds whole coarse panes. */
  fineFloor: number;
  /** Coarse panes are trusted from here on. */
  coarseFloor: number;
  /** [from, to): coarse panes starting in them may miss a partition's roll-up. */
  unrolled: Array<[number, number]>;
}

export interface TierOptions {
  store: Readonly<StoreOptions>;
  outOfOrdernessMs: number;
}

function ceilTo(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

export function tiersAt(now: number, progress: ReadonlyMap<number, PartitionProgress>, options: TierOptions): Tiers {
  const { coarsePaneMs, fineRetentionMs, coarseRetentionMs, allowedLatenessMs } = options.store;
  const unrolled: Array<[number, number]> = [];
  for (const partition of progress.values()) {
    const { maxEventTime } = partition;
    if (!Number.isFinite(maxEventTime)) {
      continue;
    }
    // The partition's last commit rolled up the coarse panes ending at or before this (PaneStore.maintain).
    const rolled = floorTo(maxEventTime - options.outOfOrdernessMs - allowedLatenessMs, coarsePaneMs);
    // Its newest pane: an event stamped ahead of the collector's clock may lie past the clock itself.
    const last = floorTo(newestEventTime(partition), coarsePaneMs);
    if (last >= rolled) {
      unrolled.push([rolled, last + coarsePaneMs]);
    }
  }
  return {
    fineFloor: ceilTo(now - fineRetentionMs + TRUST_MARGIN_MS, coarsePaneMs),
    coarseFloor: ceilTo(now - coarseRetentionMs + TRUST_MARGIN_MS, coarsePaneMs),
    unrolled,
  };
}

/** Whether the coarse panes covering [from, to) are all complete. */
export function coarseComplete(tiers: Tiers, from: number, to: number): boolean {
  return from >= tiers.coarseFloor && tiers.unrolled.every(([low, high]) => to <= low || from >= high);
}

/** The windows of [from, to) as compose() cuts them: every window overlapping the range. */
export function windowStarts(from: number, to: number, sizeMs: number, slideMs: number): { first: number; last: number; count: number } {
  const first = floorTo(from - sizeMs, slideMs) + slideMs;
  const last = Math.ceil(to / slideMs) * slideMs - slideMs;
  return { first, last, count: last < first ? 0 : (last - first) / slideMs + 1 };
}

const NICE_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map((s) => s * 1000);

/** The smallest "round" slide (a multiple of the pane) whose windows over the range fit in maxPoints. */
export function suggestSlide(from: number, to: number, sizeMs: number, paneMs: number, maxPoints: number): number {
  const fits = (slide: number) => windowStarts(from, to, Math.max(sizeMs, slide), slide).count <= maxPoints;
  for (const step of NICE_STEPS_MS) {
    if (step % paneMs === 0 && fits(step)) {
      return step;
    }
  }
  let days = 2;
  while (!fits(days * 86_400_000)) {
    days *= 2;
  }
  return days * 86_400_000;
}

/**
 * Why history cannot serve the query's windows, or undefined. Only distinct
 * is limited: distinct counts do not add up, so history holds them for the
 * stored windows only — tumbling 1 pane or 1 min, by every dimension
 * (filters allowed) or in total (no filter).
 */
export function distinctRefusal(query: CompiledQuery, paneMs: number): string | undefined {
  if (query.aggregate.kind !== 'distinct') {
    return undefined;
  }
  const { sizeMs, slideMs } = query.windows;
  const dimensions = query.metric.dimensions;
  const stored = `tumbling ${windowLabel(paneMs)} or ${windowLabel(DISTINCT_WINDOW_MS)} windows, grouped by ${
    dimensions.length === 0 ? 'nothing' : `all of ${dimensions.join(', ')} or by none without filters`
  }`;
  const windowOk = sizeMs === slideMs && (sizeMs === paneMs || sizeMs === DISTINCT_WINDOW_MS);
  const fullTuple = query.groupBy.length === dimensions.length;
  const total = query.groupBy.length === 0 && query.filter.length === 0;
  return windowOk && (fullTuple || total) ? undefined : `history keeps distinct counts only for ${stored}`;
}

export interface Gap {
  from: number;
  to: number;
  code: ErrorCode;
  params: Record<string, string | number>;
  /** The store's own error, when reading it failed. */
  cause?: PanecastError;
}

export interface HistoryPlan {
  /** Window starts composed from panes, ascending. */
  panes: number[];
  /** Window starts read from history, ascending. */
  history: number[];
  gaps: Gap[];
  /** Slices are whole coarse panes: compose reads the coarse tier before the fine floor. */
  useCoarse: boolean;
}

export interface PlanInput {
  first: number;
  last: number;
  query: CompiledQuery;
  sliceMs: number;
  tiers: Tiers;
  coarsePaneMs: number;
  paneMs: number;
  /** The history writer's cursor; undefined when it never wrote. */
  writtenUpTo: number | undefined;
  /** Some partition ever committed: without, there is no data anywhere. */
  anyData: boolean;
}

export function planWindows(input: PlanInput): HistoryPlan {
  const { tiers, query, first, last } = input;
  const { sizeMs, slideMs } = query.windows;
  const useCoarse = input.sliceMs % input.coarsePaneMs === 0;
  const refusal = distinctRefusal(query, input.paneMs);
  const plan: HistoryPlan = { panes: [], history: [], gaps: [], useCoarse };
  let lastGap: Gap | undefined;
  const gap = (start: number, code: ErrorCode, params: Record<string, string | number>) => {
    // Consecutive windows with the same reason make one gap.
    if (lastGap?.code === code) {
      lastGap.to = start + sizeMs;
    } else {
      lastGap = { from: start, to: start + sizeMs, code, params };
      plan.gaps.push(lastGap);
    }
  };
  const fineFloor = new Date(tiers.fineFloor).toISOString();
  const coarseFloor = new Date(tiers.coarseFloor).toISOString();
  for (let start = first; start <= last; start += slideMs) {
    const end = start + sizeMs;
    if (start >= tiers.fineFloor || (useCoarse && coarseComplete(tiers, start, Math.min(end, tiers.fineFloor)))) {
      plan.panes.push(start);
      lastGap = undefined;
    } else if (refusal !== undefined) {
      gap(start, 'PANECAST_ERR_HISTORY_DISTINCT', { reason: `${refusal}; panes serve any window from ${fineFloor} on, whole minutes from ${coarseFloor} on` });
    } else if (input.writtenUpTo === undefined ? input.anyData : end > input.writtenUpTo) {
      const written = input.writtenUpTo === undefined ? 'nothing yet' : new Date(input.writtenUpTo).toISOString();
      gap(start, 'PANECAST_ERR_HISTORY_NOT_WRITTEN', { written, fineFloor });
    } else {
      plan.history.push(start);
      lastGap = undefined;
    }
  }
  return plan;
}

export interface GapReport {
  from: number;
  to: number;
  code: ErrorCode;
  message: string;
}

function gapParams(gap: Gap): Record<string, string | number> {
  return { ...gap.params, from: new Date(gap.from).toISOString(), to: new Date(gap.to).toISOString() };
}

/** A gap as the answer lists it. */
export function describeGap(gap: Gap): GapReport {
  return { from: gap.from, to: gap.to, code: gap.code, message: gap.cause?.message ?? formatMessage(gap.code, gapParams(gap)) };
}

/**
 * The error answering a query with gaps that did not ask for a partial
 * answer: a store's failure as it is, else the first gap's, listing all.
 */
export function gapsError(gaps: readonly Gap[]): PanecastError {
  const failed = gaps.find((gap) => gap.cause !== undefined);
  if (failed?.cause !== undefined) {
    return failed.cause;
  }
  const first = gaps[0] as Gap;
  return new PanecastError(first.code, gapParams(first), { gaps: gaps.map(describeGap) });
}
