/**
 * One pane of one metric: the partial aggregates of every series that had
 * events in [start, end), stored column-wise so a series × pane costs
 * 4 bytes of series id + 8 bytes per scalar (count; sum, min, max with a
 * measure), not a JS object per cell.
 *
 * Life cycle, driven by the store as the watermark advances:
 * - open: events land here; `index` maps series id → slot; sketch bins and
 *   HLL sparse entries of all slots live in one SlotTable each (no object
 *   per series × pane: see aggregates/slot-table.ts).
 * - encoded (watermark passed `end`): sketches and HLLs are encoded into one
 *   byte blob per pane, the compact form most panes are only read in from
 *   now on. A late event (a correction) decodes the one cell it touches into
 *   an override object.
 * - sealed (watermark passed `end` + allowed lateness): immutable; overrides
 *   are folded back into the blob, the slot index is dropped and the columns
 *   are trimmed to size.
 */
import { ByteReader, ByteWriter } from './aggregates/bytes';
import type { HyperLogLog } from './aggregates/hyperloglog';
import type { QuantileSketch } from './aggregates/quantile-sketch';
import { readSummary, writeSummary } from './aggregates/summary';
import { DistinctCells, SketchCells } from './pane-cells';

/** Which columns a metric's panes carry: sketches and HLLs only where the metric needs them. */
export interface PaneLayout {
  readonly measure: boolean;
  readonly sketch: boolean;
  readonly distinct: boolean;
  readonly hllPrecision: number;
}

/** Sizes a new pane is allocated with: the previous pane's, since consecutive panes look alike. */
export interface PaneHints {
  slots: number;
  sketchEntries: number;
  hllEntries: number;
}

/** Offsets of the scalars in a slot's `stride` cells of `data`. */
export const COUNT = 0;
export const SUM = 1;
export const MIN = 2;
export const MAX = 3;

export type PanePhase = 'open' | 'encoded' | 'sealed';

const PARTIAL_FORMAT = 1;
const FLAG_MEASURE = 1;
const FLAG_SKETCH = 2;
const FLAG_DISTINCT = 4;

// Shared scratch: the pane code is single-threaded; each use finishes before the next.
const scratchWriter = new ByteWriter(4096);
const cellWriter = new ByteWriter(1024);
const cellReader = new ByteReader(new Uint8Array(0), 'pane cell');

function layoutFlags(layout: PaneLayout): number {
  return (layout.measure ? FLAG_MEASURE : 0) | (layout.sketch ? FLAG_SKETCH : 0) | (layout.distinct ? FLAG_DISTINCT : 0);
}

export class Pane {
  readonly stride: number;
  /** Slots in use. */
  size = 0;
  /** slot → series id. */
  series: Int32Array;
  /** slot × stride: count, then sum, min, max when the metric has a measure. */
  data: Float64Array;
  phase: PanePhase = 'open';
  /** series id → slot + 1 (0: absent), while the pane can still change. */
  private index: Int32Array | undefined;
  /** Sketches and HLLs, only for metrics that keep them. */
  private readonly sketches: SketchCells | undefined;
  private readonly distincts: DistinctCells | undefined;
  private dirtyFlags: Uint8Array | undefined;
  private dirtySlots: Int32Array | undefined;
  /** Slots changed since the last drain. */
  dirtyCount = 0;

  constructor(
    readonly start: number,
    readonly end: number,
    readonly layout: PaneLayout,
    hints: PaneHints,
    idBound: number,
  ) {
    this.stride = layout.measure ? 4 : 1;
    const slots = Math.max(4, hints.slots);
    this.series = new Int32Array(slots);
    this.data = new Float64Array(slots * this.stride);
    this.index = new Int32Array(Math.max(16, idBound));
    this.sketches = layout.sketch ? new SketchCells(Math.max(slots, hints.sketchEntries)) : undefined;
    this.distincts = layout.distinct ? new DistinctCells(layout.hllPrecision, Math.max(slots, hints.hllEntries)) : undefined;
  }

  /** The slot of a series, created empty if absent. */
  slotFor(id: number): number {
    let index = this.index;
    if (index === undefined || id >= index.length) {
      index = this.growIndex(id + 1);
    }
    const slot = index[id] as number;
    return slot !== 0 ? slot - 1 : this.addSlot(id, index);
  }

  /** The slot of a series, or -1. */
  findSlot(id: number): number {
    const index = this.index ?? this.growIndex(0);
    return id < index.length ? (index[id] as number) - 1 : -1;
  }

  private growIndex(needed: number): Int32Array {
    let length = Math.max(16, this.index?.length ?? 0);
    while (length < needed) {
      length *= 2;
    }
    for (let slot = 0; slot < this.size; slot++) {
      length = Math.max(length, (this.series[slot] as number) + 1);
    }
    const index = new Int32Array(length);
    for (let slot = 0; slot < this.size; slot++) {
      index[this.series[slot] as number] = slot + 1;
    }
    this.index = index;
    return index;
  }

  private addSlot(id: number, index: Int32Array): number {
    const slot = this.size;
    if (slot === this.series.length) {
      const capacity = Math.max(4, slot * 2);
      const series = new Int32Array(capacity);
      series.set(this.series);
      this.series = series;
      const data = new Float64Array(capacity * this.stride);
      data.set(this.data);
      this.data = data;
    }
    this.series[slot] = id;
    const base = slot * this.stride;
    this.data[base + COUNT] = 0;
    if (this.stride === 4) {
      this.data[base + SUM] = 0;
      this.data[base + MIN] = Number.POSITIVE_INFINITY;
      this.data[base + MAX] = Number.NEGATIVE_INFINITY;
    }
    index[id] = slot + 1;
    this.size++;
    return slot;
  }

  /** Counts one event with no measure. */
  addCount(slot: number): void {
    this.data[slot * this.stride]!++;
  }

  /** Counts one event and folds its measure into sum, min and max. */
  addMeasure(slot: number, value: number): void {
    const data = this.data;
    const base = slot * 4;
    data[base]!++;
    data[base + SUM]! += value;
    if (value < (data[base + MIN] as number)) {
      data[base + MIN] = value;
    }
    if (value > (data[base + MAX] as number)) {
      data[base + MAX] = value;
    }
  }

  /** What the next pane should be sized to. */
  hints(): PaneHints {
    return { slots: this.size, sketchEntries: this.sketches?.entries ?? 0, hllEntries: this.distincts?.entries ?? 0 };
  }

  /** Folds a measure value into the slot's quantile sketch. */
  addSketchValue(slot: number, value: number): void {
    (this.sketches as SketchCells).add(slot, value);
  }

  /** Adds a value (canonical text) to the slot's distinct count. */
  addDistinct(slot: number, text: string): void {
    (this.distincts as DistinctCells).add(slot, text);
  }

  /** Merges every slot's sketch into its group's (read path). */
  addSketchesTo(groupOf: Int32Array, targets: (QuantileSketch | undefined)[]): void {
    this.sketches?.addTo(this.size, this.series, groupOf, targets);
  }

  /** Merges every slot's HyperLogLog into its group's (read path). */
  addHllsTo(groupOf: Int32Array, targets: (HyperLogLog | undefined)[]): void {
    this.distincts?.addTo(this.size, this.series, groupOf, targets);
  }

  /** Marks a slot changed since the last drain; true when the pane just became dirty. */
  markDirty(slot: number): boolean {
    let flags = this.dirtyFlags;
    if (flags === undefined || slot >= flags.length) {
      flags = this.growDirty(slot + 1);
    }
    if (flags[slot] !== 0) {
      return false;
    }
    flags[slot] = 1;
    (this.dirtySlots as Int32Array)[this.dirtyCount++] = slot;
    return this.dirtyCount === 1;
  }

  private growDirty(needed: number): Uint8Array {
    const length = Math.max(needed, this.series.length);
    const flags = new Uint8Array(length);
    const slots = new Int32Array(length);
    if (this.dirtyFlags !== undefined) {
      flags.set(this.dirtyFlags);
      slots.set((this.dirtySlots as Int32Array).subarray(0, this.dirtyCount));
    }
    this.dirtyFlags = flags;
    this.dirtySlots = slots;
    return flags;
  }

  /**
   * Appends each changed slot's serialized partial to `writer` and reports
   * its byte range to `emit`; clears the marks.
   */
  drainDirty(writer: ByteWriter, emit: (slot: number, from: number, to: number) => void): void {
    const flags = this.dirtyFlags;
    const slots = this.dirtySlots;
    if (flags === undefined || slots === undefined) {
      return;
    }
    if (this.dirtyCount * 8 > this.size) {
      // Many cells: read the tables grouped by slot rather than chain by chain.
      this.sketches?.prepareBulkRead();
      this.distincts?.prepareBulkRead();
    }
    for (let i = 0; i < this.dirtyCount; i++) {
      const slot = slots[i] as number;
      flags[slot] = 0;
      const from = writer.byteLength;
      this.writePartial(slot, writer);
      emit(slot, from, writer.byteLength);
    }
    this.dirtyCount = 0;
    if (this.phase === 'sealed') {
      this.dirtyFlags = undefined;
      this.dirtySlots = undefined;
    }
  }

  /**
   * The partial of one slot. Layout: u8 format (1); u8 flags (1 measure,
   * 2 sketch, 4 distinct); the summary; the sketch if flagged; the HLL if
   * flagged (each self-delimiting, see aggregates/).
   */
  serializeSlot(slot: number): Uint8Array {
    scratchWriter.reset();
    this.writePartial(slot, scratchWriter);
    return scratchWriter.finish();
  }

  private writePartial(slot: number, writer: ByteWriter): void {
    writer.u8(PARTIAL_FORMAT).u8(layoutFlags(this.layout));
    const base = slot * this.stride;
    const data = this.data;
    writeSummary(
      writer,
      this.stride === 4
        ? { count: data[base] as number, sum: data[base + SUM] as number, min: data[base + MIN] as number, max: data[base + MAX] as number }
        : { count: data[base] as number, sum: 0, min: 0, max: 0 },
      this.layout.measure,
    );
    this.sketches?.write(slot, writer);
    this.distincts?.write(slot, writer);
  }

  /** Empties a slot, so that a stored partial can replace it. */
  clearSlot(slot: number): void {
    const base = slot * this.stride;
    this.data[base + COUNT] = 0;
    if (this.stride === 4) {
      this.data[base + SUM] = 0;
      this.data[base + MIN] = Number.POSITIVE_INFINITY;
      this.data[base + MAX] = Number.NEGATIVE_INFINITY;
    }
    this.sketches?.clear(slot);
    this.distincts?.clear(slot);
  }

  /** Merges a serialized partial (see serializeSlot) into the series' slot, or replaces the slot with it. */
  mergePartial(id: number, reader: ByteReader, replace = false): number {
    const format = reader.u8();
    if (format !== PARTIAL_FORMAT) {
      reader.fail(`unknown partial format ${format}`);
    }
    const flags = reader.u8();
    if (flags !== layoutFlags(this.layout)) {
      reader.fail(`partial carries aggregates ${flags}, the metric's panes ${layoutFlags(this.layout)}`);
    }
    const summary = readSummary(reader);
    const slot = this.slotFor(id);
    if (replace) {
      this.clearSlot(slot);
    }
    this.mergeScalars(slot, summary.count, summary.sum, summary.min, summary.max);
    this.sketches?.mergeBytes(slot, reader);
    this.distincts?.mergeBytes(slot, reader);
    reader.end();
    return slot;
  }

  /** Merges slot `from` of another pane of the same metric into this pane (roll-ups). */
  mergeSlotFrom(source: Pane, from: number): number {
    const id = source.series[from] as number;
    const slot = this.slotFor(id);
    const base = from * source.stride;
    const data = source.data;
    if (this.stride === 4) {
      this.mergeScalars(slot, data[base] as number, data[base + SUM] as number, data[base + MIN] as number, data[base + MAX] as number);
    } else {
      this.mergeScalars(slot, data[base] as number, 0, 0, 0);
    }
    // Through bytes: the source may hold its cell in a table, a blob or an override.
    if (this.sketches !== undefined && source.sketches !== undefined) {
      cellWriter.reset();
      source.sketches.write(from, cellWriter);
      this.sketches.mergeBytes(slot, cellReader.load(cellWriter.finish()));
    }
    if (this.distincts !== undefined && source.distincts !== undefined) {
      cellWriter.reset();
      source.distincts.write(from, cellWriter);
      this.distincts.mergeBytes(slot, cellReader.load(cellWriter.finish()));
    }
    return slot;
  }

  private mergeScalars(slot: number, count: number, sum: number, min: number, max: number): void {
    const data = this.data;
    const base = slot * this.stride;
    data[base]! += count;
    if (this.stride === 4) {
      data[base + SUM]! += sum;
      if (min < (data[base + MIN] as number)) {
        data[base + MIN] = min;
      }
      if (max > (data[base + MAX] as number)) {
        data[base + MAX] = max;
      }
    }
  }

  /** open → encoded: sketches and HLLs become one blob each. */
  encode(): void {
    if (this.phase !== 'open') {
      return;
    }
    this.sketches?.encode(this.size);
    this.distincts?.encode(this.size);
    this.phase = 'encoded';
  }

  /** → sealed: overrides folded into the blobs, index dropped, columns trimmed. */
  seal(): void {
    this.encode();
    this.sketches?.seal(this.size);
    this.distincts?.seal(this.size);
    this.index = undefined;
    if (this.series.length > this.size) {
      this.series = this.series.slice(0, this.size);
      this.data = this.data.slice(0, this.size * this.stride);
    }
    if (this.dirtyCount === 0) {
      this.dirtyFlags = undefined;
      this.dirtySlots = undefined;
    }
    this.phase = 'sealed';
  }

  /** Approximate heap bytes: typed arrays exactly, live objects estimated. */
  byteSize(): number {
    let bytes = 160 + this.series.byteLength + this.data.byteLength;
    bytes += (this.index?.byteLength ?? 0) + (this.dirtyFlags?.byteLength ?? 0) + (this.dirtySlots?.byteLength ?? 0);
    return bytes + (this.sketches?.byteSize ?? 0) + (this.distincts?.byteSize ?? 0);
  }
}
