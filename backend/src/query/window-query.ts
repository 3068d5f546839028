/**
 * `GET /v1/query`: any window of any metric, composed at read time from the
 * partial panes of every partition in the pane-state store (Redis), so a
 * window nobody asked for before is served at once, with no reprocessing.
 * Serves the fine tier (1 h at 1 s); any range, older ones included, is
 * GET /v1/history's (history-query.ts). Windows whose end the global
 * watermark passed are marked final.
 *
 * Parameters (params.ts): metric, aggregate (count, sum, avg, min, max,
 * rate, distinct, p50…p99, quantile(q)), size and slide (ms; slide defaults
 * to size), groupBy (comma-separated), filter.<dimension>=v1,v2 or
 * =["v1","v2"] (filter-values.ts), from and to (epoch ms). An answer holds
 * at most MAX_ANSWER_POINTS points over all its groups (window/compose.ts):
 * past it, PANECAST_ERR_QUERY_ANSWER_TOO_LARGE.
 */
import { DEFAULT_LIMITS } from '../collect/event';
import { PanecastError } from '../errors';
import type { PaneStateStore } from '../store/pane-state';
import { compose, PaneStore, watermarkOver, type CompiledQuery, type MetricDefinition, type StoreOptions } from '../window';
import { MAX_ANSWER_POINTS } from '../window/compose';
import { parseWindowParams } from './params';

export interface WindowQueryOptions {
  store: Readonly<StoreOptions>;
  outOfOrdernessMs: number;
  idleMs: number;
  /** Most points one answer may hold (PANECAST_ERR_QUERY_ANSWER_TOO_LARGE past it); MAX_ANSWER_POINTS by default. */
  maxAnswerPoints?: number;
}

export interface QueryAnswer {
  metric: string;
  aggregate: string;
  window: { sizeMs: number; slideMs: number };
  watermark: number | null;
  groups: Array<{ group: Record<string, string>; points: Array<{ start: number; end: number; value: number; final: boolean }> }>;
}

export class WindowQueryService {
  constructor(
    private readonly state: PaneStateStore,
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: WindowQueryOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Minimum over all partitions' progress, idle ones following the wall clock. */
  private async globalWatermark(): Promise<number> {
    const progress = [...(await this.state.readProgress()).values()].map(({ maxEventTime, committedAt }) => ({ maxEventTime, lastActivity: committedAt }));
    return watermarkOver(progress, this.clock(), this.options);
  }

  async run(params: URLSearchParams): Promise<QueryAnswer> {
    const now = this.clock();
    const { query, aggregate, from, to } = parseWindowParams(params, this.definitions, this.options.store.paneMs, now);
    const sizeMs = query.windows.sizeMs;
    const { paneMs, fineRetentionMs } = this.options.store;
    // The size first: a window longer than the fine tier also reaches before it, and
    // blaming `from` (which the caller may not even have set) hides the real fix.
    if (sizeMs > fineRetentionMs) {
      throw new PanecastError('PANECAST_ERR_QUERY_INVALID', {
        field: 'size',
        rule: `must be at most ${fineRetentionMs} ms (the fine tier); longer windows are served by GET /v1/history`,
      });
    }
    if (from - sizeMs < now - fineRetentionMs) {
      throw new PanecastError('PANECAST_ERR_QUERY_INVALID', {
        field: 'from',
        rule: `reaches before the fine tier (${fineRetentionMs / 60_000} min of ${paneMs} ms panes); older ranges are served by GET /v1/history`,
      });
    }
    // No pane starts after the collector's future limit: windows beyond it hold no event and are
    // left out anyway, so the range stops there. Without this bound a `to` years ahead made the
    // pane list below (and compose's walk over it) years long: seconds of a blocked event loop,
    // then the process out of memory.
    const dataEnd = Math.floor((now + DEFAULT_LIMITS.maxFutureMs) / paneMs) * paneMs + paneMs;
    const readTo = Math.min(to, dataEnd);
    if (readTo <= from) {
      return this.answer(query, aggregate, await this.globalWatermark(), []);
    }
    const first = Math.floor((from - sizeMs) / paneMs) * paneMs;
    // compose() answers every window overlapping [from, to) over its whole extent: read the panes
    // through the end of the last one, or that window comes out short (and may be marked final).
    const slideMs = query.windows.slideMs;
    const lastEnd = Math.ceil(readTo / slideMs) * slideMs - slideMs + sizeMs;
    const starts = Array.from({ length: Math.ceil((lastEnd - first) / paneMs) }, (_, i) => first + i * paneMs);
    const byPartition = await this.state.readPanes(query.metric.name, paneMs, starts);
    const stores = [...byPartition.values()].map((partials) => {
      const store = new PaneStore(this.definitions, this.options.store);
      store.load(partials);
      return store;
    });
    const watermark = await this.globalWatermark();
    const maxPoints = this.options.maxAnswerPoints ?? MAX_ANSWER_POINTS;
    const groups = compose(stores, query, { from, to: readTo }, watermark, { maxPoints }).map((group) => ({
      group: group.group,
      points: group.points.map((point) => ({ start: point.window.start, end: point.window.end, value: point.value, final: point.final })),
    }));
    return this.answer(query, aggregate, watermark, groups);
  }

  private answer(query: CompiledQuery, aggregate: string, watermark: number, groups: QueryAnswer['groups']): QueryAnswer {
    return {
      metric: query.metric.name,
      aggregate,
      window: { sizeMs: query.windows.sizeMs, slideMs: query.windows.slideMs },
      watermark: Number.isFinite(watermark) ? watermark : null,
      groups,
    };
  }
}
