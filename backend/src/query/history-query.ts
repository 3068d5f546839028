/**
 * `GET /v1/history`: windows of any size and slide over any past range, in
 * the `GET /v1/query` answer shape. Each window comes from the store that
 * holds it (history-plan.ts): composed from the panes of every partition
 * while the pane store keeps them — exactly as the live tail is composed —
 * and read from the history store (VictoriaMetrics) before that.
 *
 * Parameters: those of /v1/query (params.ts), plus
 * - maxPoints: most windows per group (default and ceiling 30000, the
 *   default per-series limit of VictoriaMetrics); a range holding more is
 *   refused with PANECAST_ERR_HISTORY_TOO_MANY_POINTS naming a slide that
 *   fits, rather than cut silently;
 * - partial=1: answer the windows that can be served and list the others in
 *   `gaps` (code and message each); without it, any gap fails the request
 *   with the gap's code.
 * The whole answer, panes and history together, holds at most
 * MAX_ANSWER_POINTS points (window/compose.ts): past it,
 * PANECAST_ERR_QUERY_ANSWER_TOO_LARGE, whatever partial says.
 */
import { PanecastError } from '../errors';
import type { History } from '../store/history';
import { newestEventTime, type PaneStateStore } from '../store/pane-state';
import { compose, PaneStore, watermarkOver, type CompiledQuery, type MetricDefinition, type StoredPartial } from '../window';
import { gcd } from '../window/assigners';
import { MAX_ANSWER_POINTS } from '../window/compose';
import {
  describeGap,
  gapsError,
  HISTORY_CURSOR,
  planWindows,
  suggestSlide,
  tiersAt,
  windowStarts,
  type Gap,
  type GapReport,
  type HistoryPlan,
  type Tiers,
} from './history-plan';
import { readHistoryWindows, type AnswerGroup } from './history-windows';
import { integerParam, parseWindowParams } from './params';
import type { QueryAnswer, WindowQueryOptions } from './window-query';

export const MAX_HISTORY_POINTS = 30_000;

export interface HistoryAnswer extends QueryAnswer {
  /** With partial=1 only: windows no store could serve, and why. */
  gaps?: GapReport[];
}

function booleanParam(params: URLSearchParams, name: string): boolean {
  const raw = params.get(name);
  if (raw === null || raw === '' || raw === '0' || raw === 'false') {
    return false;
  }
  if (raw === '1' || raw === 'true') {
    return true;
  }
  throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: name, rule: `must be 1, true, 0 or false, got "${raw}"` });
}

function range(from: number, to: number, step: number): number[] {
  const starts: number[] = [];
  for (let t = from; t < to; t += step) {
    starts.push(t);
  }
  return starts;
}

export class HistoryQueryService {
  constructor(
    private readonly state: PaneStateStore,
    private readonly history: History,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: WindowQueryOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  private get maxPoints(): number {
    return this.options.maxAnswerPoints ?? MAX_ANSWER_POINTS;
  }

  async run(params: URLSearchParams): Promise<HistoryAnswer> {
    const now = this.clock();
    const { paneMs, coarsePaneMs } = this.options.store;
    const { query, aggregate, from, to } = parseWindowParams(params, this.definitions, paneMs, now);
    const maxPoints = integerParam(params, 'maxPoints', MAX_HISTORY_POINTS);
    if (maxPoints < 1 || maxPoints > MAX_HISTORY_POINTS) {
      throw new PanecastError('PANECAST_ERR_QUERY_INVALID', { field: 'maxPoints', rule: `must be between 1 and ${MAX_HISTORY_POINTS}` });
    }
    const partial = booleanParam(params, 'partial');
    const { sizeMs, slideMs } = query.windows;
    const windows = windowStarts(from, to, sizeMs, slideMs);
    if (windows.count > maxPoints) {
      const slide = suggestSlide(from, to, sizeMs, paneMs, maxPoints);
      const size = Math.max(sizeMs, slide);
      throw new PanecastError(
        'PANECAST_ERR_HISTORY_TOO_MANY_POINTS',
        { windows: windows.count, size: sizeMs, slide: slideMs, maxPoints, suggestedSlide: slide, suggestedSize: size },
        { windows: windows.count, maxPoints, suggestedSlideMs: slide, suggestedSizeMs: size },
      );
    }
    const [progress, writtenUpTo] = await Promise.all([this.state.readProgress(), this.state.readMark(HISTORY_CURSOR)]);
    const activity = [...progress.values()].map(({ maxEventTime, committedAt }) => ({ maxEventTime, lastActivity: committedAt }));
    const watermark = watermarkOver(activity, now, this.options);
    const tiers = tiersAt(now, progress, this.options);
    const plan = planWindows({
      first: windows.first,
      last: windows.last,
      query,
      sliceMs: gcd(sizeMs, slideMs),
      tiers,
      coarsePaneMs,
      paneMs,
      writtenUpTo,
      anyData: progress.size > 0,
    });
    const gaps: Gap[] = [...plan.gaps];
    if (gaps.length > 0 && !partial) {
      throw gapsError(gaps);
    }
    // No pane starts after the newest event of any partition: reading stops there, not at a `to` far ahead.
    const newest = Math.max(...[...progress.values()].map(newestEventTime));
    const [paneGroups, historyGroups] = await Promise.all([
      this.fromPanes(query, plan, tiers, watermark, newest),
      this.fromHistory(query, plan.history, gaps),
    ]);
    if (gaps.length > plan.gaps.length && !partial) {
      throw gapsError(gaps.slice(plan.gaps.length));
    }
    // Each part kept to the budget while it was built; together they may still pass it.
    const pointCount = [...paneGroups, ...historyGroups.values()].reduce((sum, group) => sum + group.points.length, 0);
    if (pointCount > this.maxPoints) {
      const groupCount = new Set([...paneGroups.map((group) => group.key), ...historyGroups.keys()]).size;
      const figures = { maxPoints: this.maxPoints, windows: windows.count, groups: groupCount };
      throw new PanecastError('PANECAST_ERR_QUERY_ANSWER_TOO_LARGE', figures, figures);
    }
    // One list per group, windows in order, groups in compose()'s order.
    const groups = new Map<string, AnswerGroup>(historyGroups);
    for (const group of paneGroups) {
      if (group.points.length === 0) {
        continue;
      }
      const existing = groups.get(group.key);
      if (existing === undefined) {
        groups.set(group.key, group);
      } else {
        // One by one: a long range's points passed as arguments could pass the engine's limit on them.
        for (const point of group.points) {
          existing.points.push(point);
        }
      }
    }
    const ordered = [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const answer: HistoryAnswer = {
      metric: query.metric.name,
      aggregate,
      window: { sizeMs, slideMs },
      watermark: Number.isFinite(watermark) ? watermark : null,
      groups: ordered.map(({ group, points }) => ({ group, points: points.sort((a, b) => a.start - b.start) })),
    };
    if (partial) {
      answer.gaps = gaps.sort((a, b) => a.from - b.from).map(describeGap);
    }
    return answer;
  }

  /** The planned pane windows, composed from the fine tier and, where the plan allows, the coarse one. */
  private async fromPanes(query: CompiledQuery, plan: HistoryPlan, tiers: Tiers, watermark: number, newest: number): Promise<AnswerGroup[]> {
    const first = plan.panes[0];
    const last = plan.panes[plan.panes.length - 1];
    if (first === undefined || last === undefined || !Number.isFinite(newest)) {
      return [];
    }
    const { paneMs, coarsePaneMs } = this.options.store;
    const { sizeMs, slideMs } = query.windows;
    const metric = query.metric.name;
    const end = Math.min(last + sizeMs, Math.floor(newest / paneMs) * paneMs + paneMs);
    const fineStarts = range(Math.max(first, tiers.fineFloor), end, paneMs);
    const coarseStarts = plan.useCoarse ? range(first, Math.min(end, tiers.fineFloor), coarsePaneMs) : [];
    const [fine, coarse] = await Promise.all([
      this.state.readPanes(metric, paneMs, fineStarts),
      coarseStarts.length > 0 ? this.state.readPanes(metric, coarsePaneMs, coarseStarts) : new Map<number, StoredPartial[]>(),
    ]);
    const stores: PaneStore[] = [];
    for (const partition of new Set([...fine.keys(), ...coarse.keys()])) {
      const store = new PaneStore(this.definitions, this.options.store);
      const report = store.load([...(coarse.get(partition) ?? []), ...(fine.get(partition) ?? [])]);
      const rejected = report.rejected[0];
      if (rejected !== undefined) {
        // A partial that does not fit would make the windows silently short.
        throw new PanecastError('PANECAST_ERR_PARTIAL_FORMAT', { what: `stored partial of partition ${partition}`, detail: rejected.message });
      }
      const panes = store.metric(metric);
      if (plan.useCoarse && panes !== undefined) {
        // Fine panes before the floor were not read: compose reads the coarse tier there, as after an eviction.
        panes.fineFloor = tiers.fineFloor;
      }
      stores.push(store);
    }
    const wanted = new Set(plan.panes);
    const dimensions = query.groupBy.map((index) => query.metric.dimensions[index] as string);
    // The range whose windows are exactly first … last (see windowStarts).
    const composed = compose(stores, query, { from: first + sizeMs - slideMs + 1, to: last + 1 }, watermark, { maxPoints: this.maxPoints });
    return composed.map((group) => ({
      key: JSON.stringify(dimensions.map((dimension) => group.group[dimension] ?? '')),
      group: group.group,
      points: group.points
        .filter((point) => wanted.has(point.window.start))
        .map((point) => ({ start: point.window.start, end: point.window.end, value: point.value, final: point.final })),
    }));
  }

  /** The planned history windows; a store failure becomes a gap. */
  private async fromHistory(query: CompiledQuery, starts: readonly number[], gaps: Gap[]): Promise<Map<string, AnswerGroup>> {
    const first = starts[0];
    const last = starts[starts.length - 1];
    if (first === undefined || last === undefined) {
      return new Map();
    }
    const { sizeMs } = query.windows;
    try {
      const { groups } = await readHistoryWindows(this.history, query, starts, this.options.store.paneMs, this.maxPoints);
      return groups;
    } catch (error) {
      // Too large an answer is the request's fault, not a gap in the store.
      if (!(error instanceof PanecastError) || error.code === 'PANECAST_ERR_QUERY_ANSWER_TOO_LARGE') {
        throw error;
      }
      gaps.push({ from: first, to: last + sizeMs, code: error.code, params: {}, cause: error });
      return new Map();
    }
  }
}
