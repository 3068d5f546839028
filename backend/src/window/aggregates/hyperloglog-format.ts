/**
 * The HyperLogLog's sparse entries and serialized layout, apart from the
 * sketch itself: pane tables (pane-cells.ts) keep sparse entries of their own
 * and write and read them in the same layout as HyperLogLog.write, without
 * building a HyperLogLog per cell.
 *
 * A sparse entry is `(index25 << 6) | rank25`: the register index at
 * precision p' = 25 and the rank of the hash bits after it.
 */
import { ByteReader, ByteWriter } from './bytes';
import { murmur3String } from './murmur3';

export const SEED_HIGH = 0x9747b28c;
export const SEED_LOW = 0x5bd1e995;
/** Index bits of the sparse form. */
export const SPARSE_P = 25;
export const RANK_BITS = 6;
export const RANK_MASK = (1 << RANK_BITS) - 1;
export const FORMAT_SPARSE = 1;
export const FORMAT_DENSE = 2;

/**
 * The sparse entry `(index25 << 6) | rank25` of a value: what the sparse form
 * stores, computed without a HyperLogLog at hand (pane tables use it).
 */
export function sparseEntryOf(text: string): number {
  const high = murmur3String(text, SEED_HIGH);
  const low = murmur3String(text, SEED_LOW);
  return ((high >>> (32 - SPARSE_P)) << RANK_BITS) | rankOf((high << SPARSE_P) | 0, 32 - SPARSE_P, low);
}

/** Entries per HyperLogLog of precision p beyond which the dense form is smaller. */
export function sparseLimit(precision: number): number {
  return (1 << precision) >>> 3;
}

/** Writes a sparse HyperLogLog from n entries sorted ascending (the layout of HyperLogLog.write). */
export function writeSparseEntries(writer: ByteWriter, precision: number, indexes: Int32Array, ranks: Float64Array, n: number): void {
  writer.u8(FORMAT_SPARSE).u8(precision).varint(n);
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const entry = (indexes[i] as number) * 64 + (ranks[i] as number);
    writer.varint(entry - previous);
    previous = entry;
  }
}

/**
 * Reads a serialized HyperLogLog's sparse entries into `onEntry`; returns
 * false, consuming nothing, when it is in the dense form.
 */
export function readSparseEntries(reader: ByteReader, precision: number, onEntry: (entry: number) => void): boolean {
  const start = reader.position;
  const format = reader.u8();
  const stored = reader.u8();
  if (stored !== precision) {
    reader.fail(`HyperLogLog precision ${stored}, expected ${precision}`);
  }
  if (format === FORMAT_DENSE) {
    reader.position = start;
    return false;
  }
  if (format !== FORMAT_SPARSE) {
    reader.fail(`unknown HyperLogLog format ${format}`);
  }
  const n = reader.varint();
  let entry = 0;
  for (let i = 0; i < n; i++) {
    entry += reader.varint();
    checkEntry(reader, entry);
    onEntry(entry);
  }
  return true;
}

/** Fails the read on an entry no sparse form holds (rank 0 marks a free slot, not an entry). */
export function checkEntry(reader: ByteReader, entry: number): void {
  const rank = entry & RANK_MASK;
  if (entry >= 2 ** (SPARSE_P + RANK_BITS) || rank === 0 || rank > 64 - SPARSE_P + 1) {
    reader.fail(`HyperLogLog entry ${entry} out of range`);
  }
}

/** Position of the first 1 in the `bits` high bits of `word` followed by `low`, 1-based; capped. */
export function rankOf(word: number, bits: number, low: number): number {
  if (word !== 0) {
    return Math.clz32(word) + 1;
  }
  return low !== 0 ? bits + Math.clz32(low) + 1 : bits + 33;
}
