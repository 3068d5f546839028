/**
 * The pane store: per metric, per full dimension tuple, partial aggregates
 * in panes of event time, in two retention tiers.
 *
 * | tier   | pane            | kept for                          | serves                     |
 * | fine   | 1 s (paneMs)    | 1 h  (fineRetentionMs)            | every window up to 1 h, any multiple of the pane |
 * | coarse | 60 s (coarsePaneMs) | 24 h (coarseRetentionMs)      | windows reaching further back, multiples of 60 s |
 *
 * A coarse pane is the merge of its 60 fine panes, built once they are all
 * immutable (watermark ≥ coarse end + allowed lateness), so it never needs a
 * correction. Fine panes are evicted in whole coarse panes, after their
 * roll-up, so any instant is covered by exactly one tier's answer.
 *
 * For the I/O layer: every changed series × pane is marked dirty;
 * `drainDirty` hands out their serialized partials (to be written with the
 * Kafka offset), `load` merges stored partials back (restart, assignment,
 * or a gateway merging the partials of several processors).
 */
import { ByteReader, ByteWriter } from './aggregates/bytes';
import { PanecastError, type ErrorCode } from '../errors';
import type { AdmissionGate } from './admission';
import type { MetricDefinition } from './metric-definition';
import { MetricPanes, type PendingPartial, type StoredPartial } from './metric-panes';
import { resolveStoreOptions, type StoreOptions } from './store-options';


export interface LoadReport {
  loaded: number;
  rejected: { index: number; code: ErrorCode; message: string }[];
}

/** Every metric's panes: what an engine writes and what a gateway loads partials into to read. */
export class PaneStore {
  readonly options: Readonly<StoreOptions>;
  private readonly byName = new Map<string, MetricPanes>();
  private readonly reader = new ByteReader(new Uint8Array(0), 'partial');
  private readonly drainWriter = new ByteWriter(1 << 16);

  /** `gates`: a processor's admission gates by metric (admission.ts); readers have none. */
  constructor(definitions: readonly MetricDefinition[], options: Partial<StoreOptions> = {}, gates?: ReadonlyMap<string, AdmissionGate>) {
    this.options = resolveStoreOptions(options);
    for (const definition of definitions) {
      this.byName.set(definition.name, new MetricPanes(definition, this.options, gates?.get(definition.name)));
    }
  }

  metric(name: string): MetricPanes | undefined {
    return this.byName.get(name);
  }

  metrics(): IterableIterator<MetricPanes> {
    return this.byName.values();
  }

  maintain(watermark: number): void {
    for (const metric of this.byName.values()) {
      metric.maintain(watermark);
    }
  }

  /** The serialized partials changed since the last drain, for an atomic write with the offsets. */
  drainDirty(): StoredPartial[] {
    // One buffer per drain; each partial's bytes are a view into it (one allocation, not one per cell).
    this.drainWriter.reset();
    const pending: PendingPartial[] = [];
    for (const metric of this.byName.values()) {
      metric.drainDirty(this.drainWriter, pending);
    }
    const buffer = this.drainWriter.finish();
    const partials: StoredPartial[] = new Array(pending.length);
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i] as PendingPartial;
      partials[i] = { metric: p.metric, resolutionMs: p.resolutionMs, paneStart: p.paneStart, seriesKey: p.seriesKey, bytes: buffer.subarray(p.from, p.to) };
    }
    return partials;
  }

  /**
   * Merges stored partials into the store: on an empty store, a restore;
   * partials of several processors merge into one view. Loading the same
   * partial twice counts it twice — unless `replace`: then each partial
   * replaces its series × pane (a read view following newer versions of
   * the partials of one source). A partial that does not fit is reported,
   * not thrown.
   */
  load(partials: Iterable<StoredPartial>, options: { replace?: boolean } = {}): LoadReport {
    const replace = options.replace === true;
    const report: LoadReport = { loaded: 0, rejected: [] };
    let index = 0;
    for (const partial of partials) {
      try {
        const metric = this.byName.get(partial.metric);
        if (metric === undefined) {
          throw new PanecastError('PANECAST_ERR_QUERY_UNKNOWN_METRIC', {
            metric: partial.metric,
            known: [...this.byName.keys()].join(', '),
          });
        }
        metric.loadPartial(partial, this.reader, replace);
        report.loaded++;
      } catch (error) {
        const coded = error instanceof PanecastError ? error : new PanecastError('PANECAST_ERR_PARTIAL_FORMAT', { what: 'partial', detail: String(error) });
        report.rejected.push({ index, code: coded.code, message: coded.message });
      }
      index++;
    }
    for (const metric of this.byName.values()) {
      metric.registry.settleLoaded();
    }
    return report;
  }
}
