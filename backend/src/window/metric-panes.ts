/**
 * The panes of one metric: its two tiers, each pane's life cycle as the
 * watermark passes, the roll-up of fine panes into coarse ones, eviction, and
 * the partials it drains and loads. pane-store.ts holds every metric's panes
 * and describes the tiers.
 */
import { ByteReader, ByteWriter } from './aggregates/bytes';
import { PanecastError } from '../errors';
import type { AdmissionGate } from './admission';
import type { MetricDefinition } from './metric-definition';
import { Pane, type PaneHints, type PaneLayout } from './pane';
import { SeriesRegistry, decodeSeriesKey } from './series';
import type { StoreOptions } from './store-options';

/** One changed (or stored) series × pane. */
export interface StoredPartial {
  metric: string;
  /** Pane length: the fine or the coarse tier. */
  resolutionMs: number;
  paneStart: number;
  /** encodeSeriesKey(labels): a JSON array of the dimension values, in definition order. */
  seriesKey: string;
  /** Pane partial format 1 (see Pane.serializeSlot); from drainDirty, a view into one buffer per drain. */
  bytes: Uint8Array;
}

/** A drained partial before its bytes are cut from the drain's buffer. */
export interface PendingPartial {
  metric: string;
  resolutionMs: number;
  paneStart: number;
  seriesKey: string;
  from: number;
  to: number;
}

export class PaneTier {
  readonly panes = new Map<number, Pane>();

  constructor(
    readonly paneMs: number,
    readonly retentionMs: number,
  ) {}
}

export function layoutOf(definition: MetricDefinition): PaneLayout {
  return Object.freeze({
    measure: definition.measure !== undefined,
    sketch: definition.quantiles,
    distinct: definition.distinctOf !== undefined,
    hllPrecision: definition.hllPrecision,
  });
}

/** The panes of one metric. */
export class MetricPanes {
  readonly layout: PaneLayout;
  readonly registry: SeriesRegistry;
  readonly fine: PaneTier;
  readonly coarse: PaneTier;
  /** Panes with slots changed since the last drain. */
  readonly dirty = new Set<Pane>();
  /** Fine panes before this were evicted: read the coarse tier there. */
  fineFloor = Number.NEGATIVE_INFINITY;
  /** Coarse panes before this are built (or loaded). */
  private rolledUpTo = Number.NEGATIVE_INFINITY;

  /** Fine panes before this are rolled up into coarse panes, which take no more events. */
  get rolledUp(): number {
    return this.rolledUpTo;
  }
  private coarseScannedTo = Number.NEGATIVE_INFINITY;
  private readonly open = new Set<Pane>();
  private readonly encoded = new Set<Pane>();
  private readonly unsealedCoarse = new Set<Pane>();
  /** Newest fine pane written: most events land in it. */
  private recent: Pane | undefined;
  /** Sizes of the latest full pane: new panes start at them. */
  private hints: PaneHints = { slots: 16, sketchEntries: 0, hllEntries: 0 };
  /** Latest fine pane end holding data, for live in-progress windows. */
  maxDataEnd = Number.NEGATIVE_INFINITY;

  constructor(
    readonly definition: MetricDefinition,
    readonly options: Readonly<StoreOptions>,
    gate?: AdmissionGate,
  ) {
    this.layout = layoutOf(definition);
    this.registry = new SeriesRegistry(definition.dimensions, definition.cardinalityCap, gate);
    this.fine = new PaneTier(options.paneMs, options.fineRetentionMs);
    this.coarse = new PaneTier(options.coarsePaneMs, options.coarseRetentionMs);
  }

  /** The writable fine pane starting at `start`. Hot path. */
  finePane(start: number): Pane {
    const recent = this.recent;
    if (recent !== undefined && recent.start === start) {
      return recent;
    }
    let pane = this.fine.panes.get(start);
    if (pane === undefined) {
      pane = new Pane(start, start + this.options.paneMs, this.layout, this.hints, this.registry.idBound);
      this.fine.panes.set(start, pane);
      this.open.add(pane);
      if (pane.end > this.maxDataEnd) {
        this.maxDataEnd = pane.end;
      }
    } else if (pane.phase === 'sealed') {
      // Only a load (or a caller passing an older watermark) writes here: seal it again later.
      pane.phase = 'encoded';
      this.encoded.add(pane);
    }
    if (recent === undefined || start >= recent.start) {
      if (recent !== undefined) {
        this.hints = recent.hints();
      }
      this.recent = pane;
    }
    return pane;
  }

  private coarsePane(start: number): Pane {
    let pane = this.coarse.panes.get(start);
    if (pane === undefined) {
      pane = new Pane(start, start + this.options.coarsePaneMs, this.layout, this.hints, this.registry.idBound);
      this.coarse.panes.set(start, pane);
    } else if (pane.phase === 'sealed') {
      pane.phase = 'encoded';
    }
    this.unsealedCoarse.add(pane);
    return pane;
  }

  /**
   * Moves panes along their life cycle for watermark `watermark`: encode the
   * final ones, seal the immutable ones, roll up and evict. Cost is
   * proportional to the panes that change phase, plus the ~60 panes within
   * the allowed lateness.
   */
  maintain(watermark: number): void {
    if (watermark === Number.NEGATIVE_INFINITY) {
      return;
    }
    const { allowedLatenessMs, coarsePaneMs } = this.options;
    for (const pane of this.open) {
      if (pane.end <= watermark) {
        pane.encode();
        this.open.delete(pane);
        this.encoded.add(pane);
      }
    }
    for (const pane of this.encoded) {
      if (pane.end + allowedLatenessMs <= watermark) {
        pane.seal();
        this.encoded.delete(pane);
      }
    }
    this.rollUp(Math.floor((watermark - allowedLatenessMs) / coarsePaneMs) * coarsePaneMs);
    for (const pane of this.unsealedCoarse) {
      pane.seal();
    }
    this.unsealedCoarse.clear();
    this.evict(watermark);
  }

  /** Builds the coarse panes ending at or before `limit` that are not built yet. */
  private rollUp(limit: number): void {
    const coarseMs = this.options.coarsePaneMs;
    if (this.rolledUpTo >= limit) {
      return;
    }
    const starts = new Set<number>();
    for (const start of this.fine.panes.keys()) {
      const coarseStart = Math.floor(start / coarseMs) * coarseMs;
      if (coarseStart >= this.rolledUpTo && coarseStart + coarseMs <= limit) {
        starts.add(coarseStart);
      }
    }
    for (const coarseStart of [...starts].sort((a, b) => a - b)) {
      const target = this.coarsePane(coarseStart);
      for (let t = coarseStart; t < coarseStart + coarseMs; t += this.options.paneMs) {
        const fine = this.fine.panes.get(t);
        if (fine === undefined) {
          continue;
        }
        for (let slot = 0; slot < fine.size; slot++) {
          if (target.markDirty(target.mergeSlotFrom(fine, slot))) {
            this.dirty.add(target);
          }
        }
      }
    }
    this.rolledUpTo = limit;
  }

  private evict(watermark: number): void {
    const coarseMs = this.options.coarsePaneMs;
    // Evict fine panes in whole coarse panes, and only rolled-up ones. Keep the allowed lateness
    // beyond the retention: a late event can still correct a pane that far behind the watermark,
    // and a live window as long as the fine tier holding that pane must then be re-read in full.
    const { fineRetentionMs, allowedLatenessMs } = this.options;
    const fineHorizon = Math.min(this.rolledUpTo, Math.floor((watermark - fineRetentionMs - allowedLatenessMs) / coarseMs) * coarseMs);
    if (fineHorizon > this.fineFloor) {
      for (const [start, pane] of this.fine.panes) {
        if (start < fineHorizon) {
          this.dropPane(this.fine, pane);
        }
      }
      this.fineFloor = fineHorizon;
    }
    const coarseHorizon = watermark - this.options.coarseRetentionMs;
    // Scan the coarse panes at most once per coarse pane of watermark progress.
    if (coarseHorizon < this.coarseScannedTo + coarseMs) {
      return;
    }
    this.coarseScannedTo = coarseHorizon;
    let evictedCoarse = false;
    for (const [start, pane] of this.coarse.panes) {
      if (start + coarseMs <= coarseHorizon) {
        this.dropPane(this.coarse, pane);
        evictedCoarse = true;
      }
    }
    if (evictedCoarse) {
      // A series whose last pane is gone from both tiers frees its id (and its place under the cap).
      // Free a series when the coarse pane holding its last fine pane is gone: last start < aligned horizon.
      this.registry.collect(Math.min(Math.floor(coarseHorizon / coarseMs) * coarseMs, this.fineFloor));
    }
  }

  private dropPane(tier: PaneTier, pane: Pane): void {
    tier.panes.delete(pane.start);
    this.dirty.delete(pane);
    this.open.delete(pane);
    this.encoded.delete(pane);
    if (this.recent === pane) {
      this.recent = undefined;
    }
  }

  /**
   * Appends the partials changed since the last drain to `writer` and their
   * descriptions (byte ranges in `writer`) to `out`.
   */
  drainDirty(writer: ByteWriter, out: PendingPartial[]): void {
    const metric = this.definition.name;
    for (const pane of this.dirty) {
      const resolutionMs = pane.end - pane.start;
      pane.drainDirty(writer, (slot, from, to) => {
        out.push({ metric, resolutionMs, paneStart: pane.start, seriesKey: this.registry.key(pane.series[slot] as number), from, to });
      });
    }
    this.dirty.clear();
  }

  /** Merges (or replaces with) one stored partial; throws a PanecastError with a PARTIAL code when it does not fit. */
  loadPartial(partial: StoredPartial, reader: ByteReader, replace = false): void {
    const values = decodeSeriesKey(partial.seriesKey, this.registry.dimensions.length);
    if (values === undefined) {
      throw new PanecastError('PANECAST_ERR_PARTIAL_SERIES', {
        key: partial.seriesKey.slice(0, 200),
        metric: this.definition.name,
        dimensions: this.registry.dimensions.join(', ') || '(none)',
      });
    }
    let pane: Pane;
    if (partial.resolutionMs === this.options.paneMs && partial.paneStart % this.options.paneMs === 0) {
      pane = this.finePane(partial.paneStart);
    } else if (partial.resolutionMs === this.options.coarsePaneMs && partial.paneStart % this.options.coarsePaneMs === 0) {
      pane = this.coarsePane(partial.paneStart);
      this.rolledUpTo = Math.max(this.rolledUpTo, partial.paneStart + this.options.coarsePaneMs);
    } else {
      throw new PanecastError('PANECAST_ERR_PARTIAL_FORMAT', {
        what: 'partial',
        detail: `pane ${partial.paneStart} of ${partial.resolutionMs} ms fits neither tier (${this.options.paneMs} / ${this.options.coarsePaneMs} ms)`,
      });
    }
    const id = this.registry.idOfValues(values);
    pane.mergePartial(id, reader.load(partial.bytes), replace);
    this.registry.touch(id, partial.paneStart);
  }

  /** Heap bytes of the panes and the number of series × panes, for memory accounting. */
  footprint(): { bytes: number; cells: number; finePanes: number; coarsePanes: number } {
    let bytes = 0;
    let cells = 0;
    for (const tier of [this.fine, this.coarse]) {
      for (const pane of tier.panes.values()) {
        bytes += pane.byteSize();
        cells += pane.size;
      }
    }
    return { bytes, cells, finePanes: this.fine.panes.size, coarsePanes: this.coarse.panes.size };
  }
}
