/**
 * The quantile sketches and HyperLogLogs of one pane's slots, through the
 * pane's life cycle:
 * - open: one SlotTable for all slots (sketch bins; HLL sparse entries), no
 *   object per series × pane. An HLL slot that outgrows the sparse form
 *   moves to a dense object.
 * - encoded: one byte blob per pane (each slot's cell in the aggregate's
 *   byte layout); a correction decodes the one cell it touches into an
 *   override object.
 * - sealed: overrides folded back into the blob.
 * Every form writes the same bytes for a cell, so partials, blobs and
 * roll-ups never depend on the form a cell happened to be in.
 */
import { ByteReader, ByteWriter } from './aggregates/bytes';
import { HyperLogLog } from './aggregates/hyperloglog';
import { readSparseEntries, sparseEntryOf, sparseLimit, writeSparseEntries } from './aggregates/hyperloglog-format';
import {
  addBin,
  binKeyOf,
  createSketch,
  mergeSketchFromReader,
  mergeSketchInto,
  readSketchBins,
  writeSketch,
  writeSketchBins,
  type QuantileSketch,
} from './aggregates/quantile-sketch';
import { SlotTable } from './aggregates/slot-table';

/** Cells of a pane: bytes of slot i are bytes[offsets[i] .. offsets[i + 1]). */
interface Blob {
  bytes: Uint8Array;
  offsets: Uint32Array;
}

// Shared scratch: single-threaded, and each use finishes before the next.
const blobWriter = new ByteWriter(4096);
const blobReader = new ByteReader(new Uint8Array(0), 'pane blob');
const scratch = { keys: new Int32Array(256), values: new Float64Array(256) };
const EMPTY_SKETCH = (() => {
  const writer = new ByteWriter(8);
  writeSketch(writer, createSketch());
  return writer.finish();
})();

function blockOf(blob: Blob | undefined, slot: number): Uint8Array | undefined {
  if (blob === undefined || slot + 1 >= blob.offsets.length) {
    return undefined;
  }
  const from = blob.offsets[slot] as number;
  const to = blob.offsets[slot + 1] as number;
  return to > from ? blob.bytes.subarray(from, to) : undefined;
}

function buildBlob(size: number, write: (slot: number, writer: ByteWriter) => void): Blob {
  const writer = blobWriter;
  writer.reset();
  const offsets = new Uint32Array(size + 1);
  for (let slot = 0; slot < size; slot++) {
    offsets[slot] = writer.byteLength;
    write(slot, writer);
  }
  offsets[size] = writer.byteLength;
  return { bytes: writer.finish(), offsets };
}

/** What both kinds of cells share: a table while open, then a blob with overrides. */
abstract class Cells<T> {
  protected table: SlotTable | undefined;
  protected blob: Blob | undefined;
  protected overrides: Map<number, T> | undefined;

  constructor(combine: 'sum' | 'max', entries: number) {
    this.table = new SlotTable(combine, entries);
  }

  /** Table entries now: the size hint for the next pane. */
  get entries(): number {
    return this.table?.size ?? 0;
  }

  protected abstract create(): T;
  protected abstract decodeInto(target: T, reader: ByteReader): void;
  abstract write(slot: number, writer: ByteWriter): void;

  /** After encoding: the slot's cell as an object, decoded once, for corrections and loads. */
  protected override(slot: number): T {
    this.overrides ??= new Map();
    let cell = this.overrides.get(slot);
    if (cell === undefined) {
      cell = this.create();
      const block = blockOf(this.blob, slot);
      if (block !== undefined) {
        this.decodeInto(cell, blobReader.load(block));
      }
      this.overrides.set(slot, cell);
    }
    return cell;
  }

  /** Empties a slot's cell, so a stored partial can replace it. */
  clear(slot: number): void {
    if (this.table !== undefined) {
      this.table.clearSlot(slot);
      this.clearExtra(slot);
    } else {
      this.overrides ??= new Map();
      this.overrides.set(slot, this.create());
    }
  }

  protected clearExtra(_slot: number): void {}

  /** Before serializing most slots: group the table by slot (see SlotTable.groupBySlot). */
  prepareBulkRead(): void {
    this.table?.groupBySlot();
  }

  /** open → encoded: the table becomes a blob. */
  encode(size: number): void {
    if (this.table !== undefined) {
      this.rebuild(size);
      this.dropTable();
    }
  }

  /** → sealed: overrides folded into the blob. */
  seal(size: number): void {
    this.encode(size);
    if ((this.overrides?.size ?? 0) > 0) {
      this.rebuild(size);
    }
    this.overrides = undefined;
  }

  protected dropTable(): void {
    this.table = undefined;
  }

  private rebuild(size: number): void {
    this.table?.groupBySlot();
    // write() reads the old blob while the new one is built.
    this.blob = buildBlob(size, (slot, writer) => this.write(slot, writer));
  }

  get byteSize(): number {
    return (this.table?.byteSize ?? 0) + (this.blob?.bytes.byteLength ?? 0) + (this.blob?.offsets.byteLength ?? 0);
  }
}

export class SketchCells extends Cells<QuantileSketch> {
  constructor(entries: number) {
    super('sum', entries);
  }

  protected create(): QuantileSketch {
    return createSketch();
  }

  protected decodeInto(target: QuantileSketch, reader: ByteReader): void {
    mergeSketchFromReader(target, reader);
  }

  /** Folds a measure value into the slot's sketch. Hot path. */
  add(slot: number, value: number): void {
    if (this.table !== undefined) {
      this.table.add(slot, binKeyOf(value), 1);
    } else {
      this.override(slot).accept(value);
    }
  }

  /** Merges a serialized sketch into the slot's. */
  mergeBytes(slot: number, reader: ByteReader): void {
    const table = this.table;
    if (table !== undefined) {
      readSketchBins(reader, (binKey, count) => table.add(slot, binKey, count));
    } else {
      mergeSketchFromReader(this.override(slot), reader);
    }
  }

  /** Writes the slot's sketch (empty if none) in the sketch byte layout. */
  write(slot: number, writer: ByteWriter): void {
    const override = this.overrides?.get(slot);
    if (override !== undefined) {
      writeSketch(writer, override);
    } else if (this.table !== undefined) {
      const n = this.table.collect(slot, scratch);
      writeSketchBins(writer, scratch.keys, scratch.values, n);
    } else {
      writer.bytes(blockOf(this.blob, slot) ?? EMPTY_SKETCH);
    }
  }

  /** Merges every slot's sketch into its group's (read path). */
  addTo(size: number, series: Int32Array, groupOf: Int32Array, targets: (QuantileSketch | undefined)[]): void {
    const table = this.table;
    if (table !== undefined) {
      // One sequential pass over the table's entries.
      const { entrySlot, entryKey, entryValue } = table;
      for (let e = 0; e < table.size; e++) {
        const g = groupOf[series[entrySlot[e] as number] as number] as number;
        const count = entryValue[e] as number;
        if (g >= 0 && count !== 0) {
          addBin((targets[g] ??= createSketch()), entryKey[e] as number, count);
        }
      }
      return;
    }
    for (let slot = 0; slot < size; slot++) {
      const g = groupOf[series[slot] as number] as number;
      if (g < 0) {
        continue;
      }
      const target = (targets[g] ??= createSketch());
      const override = this.overrides?.get(slot);
      if (override !== undefined) {
        mergeSketchInto(target, override);
        continue;
      }
      const block = blockOf(this.blob, slot);
      if (block !== undefined) {
        mergeSketchFromReader(target, blobReader.load(block));
      }
    }
  }

  override get byteSize(): number {
    let bytes = super.byteSize;
    for (const sketch of this.overrides?.values() ?? []) {
      bytes += 200 + 8 * (sketch.store.bins.length + sketch.negativeStore.bins.length);
    }
    return bytes;
  }
}

export class DistinctCells extends Cells<HyperLogLog> {
  /** Open phase: slots whose HLL outgrew the sparse form. */
  private dense: Map<number, HyperLogLog> | undefined;
  private readonly limit: number;

  constructor(
    private readonly precision: number,
    entries: number,
  ) {
    super('max', entries);
    this.limit = sparseLimit(precision);
  }

  protected create(): HyperLogLog {
    return new HyperLogLog(this.precision);
  }

  protected decodeInto(target: HyperLogLog, reader: ByteReader): void {
    target.mergeFromReader(reader);
  }

  protected override dropTable(): void {
    super.dropTable();
    this.dense = undefined;
  }

  protected override clearExtra(slot: number): void {
    this.dense?.delete(slot);
  }

  /** Adds a value (canonical text) to the slot's distinct count. Hot path. */
  add(slot: number, text: string): void {
    const table = this.table;
    if (table === undefined) {
      this.override(slot).add(text);
      return;
    }
    const dense = this.dense?.get(slot);
    if (dense !== undefined) {
      dense.add(text);
      return;
    }
    const entry = sparseEntryOf(text);
    if (table.add(slot, entry >>> 6, entry & 63) > this.limit) {
      this.promote(slot);
    }
  }

  /** Moves a slot's HLL out of the table into a (dense) object. */
  private promote(slot: number): HyperLogLog {
    const hll = new HyperLogLog(this.precision);
    const n = (this.table as SlotTable).collect(slot, scratch);
    for (let i = 0; i < n; i++) {
      hll.addSparseEntry((scratch.keys[i] as number) * 64 + (scratch.values[i] as number));
    }
    this.dense ??= new Map();
    this.dense.set(slot, hll);
    return hll;
  }

  /** Merges a serialized HyperLogLog into the slot's. */
  mergeBytes(slot: number, reader: ByteReader): void {
    const table = this.table;
    if (table === undefined) {
      this.override(slot).mergeFromReader(reader);
      return;
    }
    let dense = this.dense?.get(slot);
    if (dense === undefined) {
      const sparse = readSparseEntries(reader, this.precision, (entry) => {
        if (dense !== undefined) {
          dense.addSparseEntry(entry);
        } else if (table.add(slot, entry >>> 6, entry & 63) > this.limit) {
          dense = this.promote(slot);
        }
      });
      if (sparse) {
        return;
      }
      dense = this.promote(slot);
    }
    dense.mergeFromReader(reader);
  }

  /** Writes the slot's HyperLogLog (empty if none) in the HLL byte layout. */
  write(slot: number, writer: ByteWriter): void {
    const hll = this.overrides?.get(slot) ?? this.dense?.get(slot);
    if (hll !== undefined) {
      hll.write(writer);
    } else if (this.table !== undefined) {
      const n = this.table.collect(slot, scratch);
      writeSparseEntries(writer, this.precision, scratch.keys, scratch.values, n);
    } else {
      const block = blockOf(this.blob, slot);
      if (block !== undefined) {
        writer.bytes(block);
      } else {
        new HyperLogLog(this.precision).write(writer);
      }
    }
  }

  /** Merges every slot's HyperLogLog into its group's (read path). */
  addTo(size: number, series: Int32Array, groupOf: Int32Array, targets: (HyperLogLog | undefined)[]): void {
    const table = this.table;
    if (table !== undefined) {
      const dense = this.dense;
      const { entrySlot, entryKey, entryValue } = table;
      for (let e = 0; e < table.size; e++) {
        const slot = entrySlot[e] as number;
        const g = groupOf[series[slot] as number] as number;
        const rank = entryValue[e] as number;
        if (g >= 0 && rank !== 0 && (dense === undefined || !dense.has(slot))) {
          (targets[g] ??= this.create()).addSparseEntry((entryKey[e] as number) * 64 + rank);
        }
      }
      for (const [slot, hll] of dense ?? []) {
        const g = groupOf[series[slot] as number] as number;
        if (g >= 0) {
          (targets[g] ??= this.create()).mergeFrom(hll);
        }
      }
      return;
    }
    for (let slot = 0; slot < size; slot++) {
      const g = groupOf[series[slot] as number] as number;
      if (g < 0) {
        continue;
      }
      const target = (targets[g] ??= this.create());
      const override = this.overrides?.get(slot);
      if (override !== undefined) {
        target.mergeFrom(override);
        continue;
      }
      const block = blockOf(this.blob, slot);
      if (block !== undefined) {
        target.mergeFromReader(blobReader.load(block));
      }
    }
  }

  override get byteSize(): number {
    let bytes = super.byteSize;
    for (const hll of [...(this.dense?.values() ?? []), ...(this.overrides?.values() ?? [])]) {
      bytes += 80 + hll.byteSize;
    }
    return bytes;
  }
}
