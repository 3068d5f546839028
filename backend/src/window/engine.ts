/**
 * The windowing engine: what the processor calls for every event. Pure —
 * the caller passes the watermark (from PartitionWatermarks) and does all
 * I/O. Keep one engine per owned partition, so a partition's partials and
 * its Kafka offset can be written together and handed over on rebalance.
 *
 * Late-data policy, per event, with pane = [start, end) of its event time:
 * - watermark < end: the pane is not final; the event updates it.
 * - end ≤ watermark < end + allowedLatenessMs: the pane is final but still
 *   correctable; the event updates it and the pane is recorded as a
 *   CORRECTION (drainCorrections says which emitted windows it changes).
 * - watermark ≥ end + allowedLatenessMs: too late. The event is returned
 *   to the caller (late-events topic) and counted — never silently dropped.
 *   So is an event for a pane already rolled up into its coarse pane: with
 *   an unchanged lateness the watermark rule already covers it, but coarse
 *   panes loaded from a run with a shorter lateness were built before the
 *   present lateness would allow, and take no more events.
 * An event that does not fit a metric (missing or non-numeric measure,
 * missing distinct field) is counted per code and skipped for that metric;
 * bad data never throws. One event may feed several metrics.
 */
import type { WindowSpan } from '@panecast/protocol';
import type { PanecastEvent } from '../collect/event';
import type { ErrorCode } from '../errors';
import type { WindowAssigner } from './assigners';
import type { AdmissionGate, AdmissionRequest } from './admission';
import type { MetricDefinition } from './metric-definition';
import { compileWhere, type EventPredicate } from './metric-match';
import type { MetricPanes, StoredPartial } from './metric-panes';
import { PaneStore, type LoadReport } from './pane-store';
import type { StoreOptions } from './store-options';
import { DEFAULT_TENANT, tenantOfMetric } from './tenancy';
import type { ApplyOutcome, BatchResult, Correction, EngineStats, Subscription } from './engine-results';

// Per-metric skip codes, indexed for counting in a typed array on the hot path.
const OK = 0;
const SKIP_CODES: readonly ErrorCode[] = [
  'PANECAST_ERR_INTERNAL', // index 0 is OK, never counted
  'PANECAST_ERR_MEASURE_MISSING',
  'PANECAST_ERR_MEASURE_NOT_NUMBER',
  'PANECAST_ERR_MEASURE_NOT_FINITE',
  'PANECAST_ERR_DISTINCT_MISSING',
];
const MEASURE_MISSING = 1;
const MEASURE_NOT_NUMBER = 2;
const MEASURE_NOT_FINITE = 3;
const DISTINCT_MISSING = 4;

interface MetricState {
  readonly name: string;
  /** The tenant that owns the metric: only its events feed it (tenancy.ts). */
  readonly owner: string;
  readonly panes: MetricPanes;
  readonly where: EventPredicate | undefined;
  readonly measure: string | undefined;
  readonly sketch: boolean;
  readonly distinctOf: string | undefined;
  readonly skips: Float64Array;
  /** pane start → highest watermark at which a correction reached it. */
  readonly corrections: Map<number, number>;
  readonly changed: Set<number>;
  lastChanged: number;
}

export class WindowEngine {
  readonly store: PaneStore;
  private readonly paneMs: number;
  private readonly latenessMs: number;
  private readonly states: MetricState[] = [];
  private readonly byType = new Map<string, MetricState[]>();
  private readonly anyType: MetricState[] = [];
  private readonly counts = { accepted: 0, corrections: 0, tooLate: 0, unmatched: 0, rejected: 0 };
  private readonly failures: Partial<Record<ErrorCode, number>> = {};
  /** Panes before this are rolled up in some metric (see the late-data policy above). */
  private rolledUpTo = Number.NEGATIVE_INFINITY;

  /** Fine panes before this are rolled up into coarse panes in every metric (-Infinity before any). */
  get rolledUp(): number {
    let everywhere = Number.POSITIVE_INFINITY;
    for (const state of this.states) {
      everywhere = Math.min(everywhere, state.panes.rolledUp);
    }
    return Number.isFinite(everywhere) ? everywhere : Number.NEGATIVE_INFINITY;
  }

  /** `gates`: with them, each metric's cap is global (admission.ts); without, per engine. */
  constructor(definitions: readonly MetricDefinition[], options: Partial<StoreOptions> = {}, gates?: ReadonlyMap<string, AdmissionGate>) {
    this.store = new PaneStore(definitions, options, gates);
    this.paneMs = this.store.options.paneMs;
    this.latenessMs = this.store.options.allowedLatenessMs;
    for (const definition of definitions) {
      const state: MetricState = {
        name: definition.name,
        owner: tenantOfMetric(definition.name, definition),
        panes: this.store.metric(definition.name) as MetricPanes,
        where: compileWhere(definition.match.where),
        measure: definition.measure,
        sketch: definition.quantiles,
        distinctOf: definition.distinctOf,
        skips: new Float64Array(SKIP_CODES.length),
        corrections: new Map(),
        changed: new Set(),
        lastChanged: Number.NaN,
      };
      this.states.push(state);
      if (definition.match.types === undefined) {
        this.anyType.push(state);
      } else {
        for (const type of definition.match.types) {
          const list = this.byType.get(type) ?? [];
          list.push(state);
          this.byType.set(type, list);
        }
      }
    }
  }

  /** Start of the pane holding event time `ts`. */
  paneStartOf(ts: number): number {
    return Math.floor(ts / this.paneMs) * this.paneMs;
  }

  /** Applies one event at the given watermark. Never throws on bad data. */
  apply(event: PanecastEvent, watermark: number): ApplyOutcome {
    const ts = event.ts;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      this.fail('PANECAST_ERR_EVENT_TS');
      this.counts.rejected++;
      return 'rejected';
    }
    const paneStart = Math.floor(ts / this.paneMs) * this.paneMs;
    const paneEnd = paneStart + this.paneMs;
    const typed = this.byType.get(event.type);
    const tenant = event.tenant ?? DEFAULT_TENANT;
    if (watermark - paneEnd >= this.latenessMs || paneStart < this.rolledUpTo) {
      if (this.matchesAny(typed, event, tenant) || this.matchesAny(this.anyType, event, tenant)) {
        this.counts.tooLate++;
        return 'too-late';
      }
      this.counts.unmatched++;
      return 'unmatched';
    }
    const correction = watermark >= paneEnd;
    let matched = 0;
    let applied = 0;
    for (let pass = 0; pass < 2; pass++) {
      const states = pass === 0 ? typed : this.anyType;
      if (states === undefined) {
        continue;
      }
      for (let i = 0; i < states.length; i++) {
        const state = states[i] as MetricState;
        if (state.owner !== tenant || (state.where !== undefined && !state.where(event))) {
          continue;
        }
        matched++;
        const code = this.applyToMetric(state, event, paneStart);
        if (code !== OK) {
          state.skips[code]!++;
          continue;
        }
        applied++;
        if (state.lastChanged !== paneStart) {
          state.lastChanged = paneStart;
          state.changed.add(paneStart);
        }
        if (correction) {
          const seen = state.corrections.get(paneStart);
          if (seen === undefined || seen < watermark) {
            state.corrections.set(paneStart, watermark);
          }
        }
      }
    }
    if (matched === 0) {
      this.counts.unmatched++;
      return 'unmatched';
    }
    if (applied === 0) {
      this.counts.rejected++;
      return 'rejected';
    }
    if (correction) {
      this.counts.corrections++;
      return 'correction';
    }
    this.counts.accepted++;
    return 'accepted';
  }

  private matchesAny(states: readonly MetricState[] | undefined, event: PanecastEvent, tenant: string): boolean {
    return states !== undefined && states.some((state) => state.owner === tenant && (state.where === undefined || state.where(event)));
  }

  /** Hot path: validate, intern, update the pane. Returns OK or a skip code index. */
  private applyToMetric(state: MetricState, event: PanecastEvent, paneStart: number): number {
    let value = 0;
    if (state.measure !== undefined) {
      const raw = event.fields[state.measure];
      if (typeof raw !== 'number') {
        return raw === undefined || raw === null ? MEASURE_MISSING : MEASURE_NOT_NUMBER;
      }
      if (!Number.isFinite(raw)) {
        return MEASURE_NOT_FINITE;
      }
      value = raw;
    }
    let distinct: string | undefined;
    if (state.distinctOf !== undefined) {
      const raw = event.fields[state.distinctOf];
      if (raw === undefined || raw === null) {
        return DISTINCT_MISSING;
      }
      // Canonical text: 42 and "42" are one distinct value.
      distinct = typeof raw === 'string' ? raw : String(raw);
    }
    const panes = state.panes;
    const id = panes.registry.idOf(event);
    const pane = panes.finePane(paneStart);
    const slot = pane.slotFor(id);
    if (state.measure !== undefined) {
      pane.addMeasure(slot, value);
      if (state.sketch) {
        pane.addSketchValue(slot, value);
      }
    } else {
      pane.addCount(slot);
    }
    if (distinct !== undefined) {
      pane.addDistinct(slot, distinct);
    }
    if (pane.markDirty(slot)) {
      panes.dirty.add(pane);
    }
    panes.registry.touch(id, paneStart);
    return OK;
  }

  private fail(code: ErrorCode): void {
    this.failures[code] = (this.failures[code] ?? 0) + 1;
  }

  /**
   * Applies a batch; a failure inside one event is counted
   * (PANECAST_ERR_ENGINE_INTERNAL) and the batch goes on, because a throw
   * in a Kafka batch handler stops consumption.
   */
  applyBatch(events: readonly PanecastEvent[], watermark: number): BatchResult {
    const before = { ...this.counts };
    const tooLate: PanecastEvent[] = [];
    let internal = 0;
    for (const event of events) {
      try {
        if (this.apply(event, watermark) === 'too-late') {
          tooLate.push(event);
        }
      } catch {
        this.fail('PANECAST_ERR_ENGINE_INTERNAL');
        internal++;
      }
    }
    this.counts.rejected += internal;
    return {
      accepted: this.counts.accepted - before.accepted,
      corrections: this.counts.corrections - before.corrections,
      unmatched: this.counts.unmatched - before.unmatched,
      rejected: this.counts.rejected - before.rejected,
      tooLate,
      changed: this.drainChanged(),
    };
  }

  /** The (metric, pane) pairs changed since the last call. */
  drainChanged(): { metric: string; paneStart: number }[] {
    const changed: { metric: string; paneStart: number }[] = [];
    for (const state of this.states) {
      for (const paneStart of state.changed) {
        changed.push({ metric: state.name, paneStart });
      }
      state.changed.clear();
      state.lastChanged = Number.NaN;
    }
    return changed;
  }

  /** Encodes final panes, seals immutable ones, rolls up and evicts; call on each watermark tick. */
  maintain(watermark: number): void {
    this.store.maintain(watermark);
    this.noteRolledUp();
  }

  private noteRolledUp(): void {
    for (const state of this.states) {
      this.rolledUpTo = Math.max(this.rolledUpTo, state.panes.rolledUp);
    }
  }

  /** Serialized partials changed since the last drain (see PaneStore.drainDirty). */
  drainDirty(): StoredPartial[] {
    return this.store.drainDirty();
  }

  /** Before applying a batch: routes again tuples refused on a ledger that has changed since (admission.ts). */
  beginBatch(): void {
    this.states.forEach((state) => state.panes.registry.beginBatch());
  }

  /** The commit's admission work (claims, refusals to check); drained again for a retried commit. */
  drainAdmissions(): AdmissionRequest[] {
    return this.states.map((state) => state.panes.registry.drainClaims()).filter((request) => request !== undefined);
  }

  /** After the commit: confirms its claims if it went through; gives the gates back their places either way. */
  settleAdmissions(committed: boolean): void {
    this.states.forEach((state) => (committed ? state.panes.registry.settleClaims() : state.panes.registry.releaseClaims()));
  }

  /** After a commit refused as stale: whether the batch must be applied again (see SeriesRegistry.settleStale). */
  reroutes(metric: string, members: readonly string[], version: number): boolean {
    return this.store.metric(metric)?.registry.settleStale(members, version) ?? false;
  }

  /** Merges stored partials (restart / assignment); see PaneStore.load. */
  load(partials: Iterable<StoredPartial>): LoadReport {
    const report = this.store.load(partials);
    this.noteRolledUp();
    return report;
  }

  /**
   * For every subscription, the windows it already received as final that
   * late events changed since the last call; then forgets the corrections.
   */
  drainCorrections(subscriptions: Iterable<Subscription>): Correction[] {
    const out: Correction[] = [];
    const byMetric = new Map(this.states.map((state) => [state.name, state]));
    for (const subscription of subscriptions) {
      const state = byMetric.get(subscription.metric);
      if (state === undefined) {
        continue;
      }
      for (const [paneStart, watermark] of state.corrections) {
        const pane = { start: paneStart, end: paneStart + this.paneMs };
        const windows = subscription.windows.windowsOverlapping(pane.start, pane.end).filter((w) => w.end <= watermark);
        if (windows.length > 0) {
          out.push({ subscription: subscription.id, metric: state.name, pane, windows });
        }
      }
    }
    for (const state of this.states) {
      state.corrections.clear();
    }
    return out;
  }

  stats(): EngineStats {
    const rejectedByCode: Partial<Record<ErrorCode, number>> = { ...this.failures };
    const metrics: EngineStats['metrics'] = {};
    for (const state of this.states) {
      const own: Partial<Record<ErrorCode, number>> = {};
      for (let code = 1; code < SKIP_CODES.length; code++) {
        const n = state.skips[code] as number;
        if (n > 0) {
          const name = SKIP_CODES[code] as ErrorCode;
          own[name] = n;
          rejectedByCode[name] = (rejectedByCode[name] ?? 0) + n;
        }
      }
      metrics[state.name] = {
        series: state.panes.registry.liveCount,
        overflowEvents: state.panes.registry.overflowEvents,
        rejectedByCode: own,
      };
    }
    return { ...this.counts, rejectedByCode, metrics };
  }
}
