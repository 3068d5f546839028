/**
 * Distinct counts: HyperLogLog over a 64-bit hash (two MurmurHash3 lanes),
 * precision p (default 14: m = 16 384 registers, standard error
 * 1.04 / sqrt(m) ≈ 0.81 %).
 *
 * Two forms, as in HyperLogLog++ (Heule et al., 2013):
 * - sparse: an open-addressing table of (index, rank) pairs at precision
 *   p' = 25, so small sets are counted almost exactly (linear counting over
 *   2^25 buckets: 40 players read 40, not 39) and empty or small series ×
 *   panes cost bytes, not 16 KB;
 * - dense: one byte per register at precision p, once the table would be as
 *   large. Sparse pairs fold into exactly the register a dense insert of
 *   the same hash would set, so forms can be mixed freely.
 * The estimates are in hyperloglog-estimator.ts; the sparse entries and the
 * serialized layout, shared with the pane tables, in hyperloglog-format.ts.
 *
 * merge is the register-wise max: commutative, associative and idempotent,
 * so partials of several processors and panes merge in any order.
 */
import { ByteReader, ByteWriter } from './bytes';
import { murmur3String } from './murmur3';
import { denseEstimate, sparseEstimate } from './hyperloglog-estimator';
import { FORMAT_DENSE, FORMAT_SPARSE, RANK_BITS, RANK_MASK, SEED_HIGH, SEED_LOW, SPARSE_P, rankOf, readSparseEntries } from './hyperloglog-format';


export const DEFAULT_HLL_PRECISION = 14;
export const MIN_HLL_PRECISION = 4;
export const MAX_HLL_PRECISION = 16;

const MIN_TABLE = 8;

export class HyperLogLog {
  readonly precision: number;
  private readonly m: number;
  /** Dense registers, once the sparse table would not be smaller. */
  private registers: Uint8Array | undefined;
  /** Sparse entries `(index25 << 6) | rank25`; 0 marks a free slot (ranks start at 1). */
  private table: Uint32Array | undefined;
  private tableShift = 0;
  private sparseSize = 0;

  constructor(precision = DEFAULT_HLL_PRECISION) {
    if (!Number.isInteger(precision) || precision < MIN_HLL_PRECISION || precision > MAX_HLL_PRECISION) {
      throw new RangeError(`HyperLogLog precision must be an integer from ${MIN_HLL_PRECISION} to ${MAX_HLL_PRECISION}`);
    }
    this.precision = precision;
    this.m = 1 << precision;
  }

  /** Adds a value by its canonical text. */
  add(text: string): void {
    this.addHash(murmur3String(text, SEED_HIGH), murmur3String(text, SEED_LOW));
  }

  /** Adds a 64-bit hash given as its high and low 32-bit halves. */
  addHash(high: number, low: number): void {
    const dense = this.registers;
    if (dense !== undefined) {
      const p = this.precision;
      const register = high >>> (32 - p);
      const rank = rankOf((high << p) | 0, 32 - p, low);
      if (rank > (dense[register] as number)) {
        dense[register] = rank;
      }
      return;
    }
    this.addSparse(high >>> (32 - SPARSE_P), rankOf((high << SPARSE_P) | 0, 32 - SPARSE_P, low));
  }

  /** The dense register and rank a sparse entry stands for. */
  private fold(entry: number): void {
    const index = entry >>> RANK_BITS;
    const shift = SPARSE_P - this.precision;
    const register = index >>> shift;
    const below = index & ((1 << shift) - 1);
    // The rank over the bits after the register index: first within the
    // shift bits the sparse index still holds, else continue into rank25.
    const rank = below !== 0 ? Math.clz32(below) - (32 - shift) + 1 : shift + (entry & RANK_MASK);
    const dense = this.registers as Uint8Array;
    if (rank > (dense[register] as number)) {
      dense[register] = rank;
    }
  }

  private addSparse(index: number, rank: number): void {
    let table = this.table;
    if (table === undefined) {
      table = this.allocateTable(MIN_TABLE);
    }
    const mask = table.length - 1;
    let slot = Math.imul(index, 0x9e3779b1) >>> this.tableShift;
    for (;;) {
      const entry = table[slot] as number;
      if (entry === 0) {
        table[slot] = ((index << RANK_BITS) | rank) >>> 0;
        this.sparseSize++;
        // Load ≤ 1/2 keeps probes short; past m/8 entries the table would
        // outgrow the dense form, so switch.
        if (this.sparseSize * 2 > table.length) {
          if (this.sparseSize > this.m >>> 3) {
            this.toDense();
          } else {
            this.rehash(table.length * 2);
          }
        }
        return;
      }
      if (entry >>> RANK_BITS === index) {
        if (rank > (entry & RANK_MASK)) {
          table[slot] = ((index << RANK_BITS) | rank) >>> 0;
        }
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  private allocateTable(capacity: number): Uint32Array {
    this.table = new Uint32Array(capacity);
    this.tableShift = 32 - Math.log2(capacity);
    this.sparseSize = 0;
    return this.table;
  }

  private rehash(capacity: number): void {
    const old = this.table as Uint32Array;
    this.allocateTable(capacity);
    for (const entry of old) {
      if (entry !== 0) {
        this.addSparse(entry >>> RANK_BITS, entry & RANK_MASK);
      }
    }
  }

  private toDense(): void {
    const old = this.table;
    this.registers = new Uint8Array(this.m);
    this.table = undefined;
    this.sparseSize = 0;
    if (old !== undefined) {
      for (const entry of old) {
        if (entry !== 0) {
          this.fold(entry);
        }
      }
    }
  }

  get isDense(): boolean {
    return this.registers !== undefined;
  }

  get isEmpty(): boolean {
    return this.registers === undefined && this.sparseSize === 0;
  }

  /** Merges `other` into this one (register-wise max). */
  mergeFrom(other: HyperLogLog): this {
    if (other.precision !== this.precision) {
      throw new RangeError(`cannot merge HyperLogLogs of precision ${this.precision} and ${other.precision}`);
    }
    if (other.registers !== undefined) {
      if (this.registers === undefined) {
        this.toDense();
      }
      const target = this.registers as Uint8Array;
      const source = other.registers;
      for (let i = 0; i < target.length; i++) {
        if ((source[i] as number) > (target[i] as number)) {
          target[i] = source[i] as number;
        }
      }
      return this;
    }
    if (other.table !== undefined) {
      for (const entry of other.table) {
        if (entry !== 0) {
          this.mergeEntry(entry);
        }
      }
    }
    return this;
  }

  /** Adds one sparse entry (see sparseEntryOf). */
  addSparseEntry(entry: number): void {
    this.mergeEntry(entry);
  }

  private mergeEntry(entry: number): void {
    if (this.registers !== undefined) {
      this.fold(entry);
    } else {
      this.addSparse(entry >>> RANK_BITS, entry & RANK_MASK);
    }
  }

  clone(): HyperLogLog {
    const copy = new HyperLogLog(this.precision);
    if (this.registers !== undefined) {
      copy.registers = this.registers.slice();
    } else if (this.table !== undefined) {
      copy.table = this.table.slice();
      copy.tableShift = this.tableShift;
      copy.sparseSize = this.sparseSize;
    }
    return copy;
  }

  /** The estimated number of distinct values. */
  estimate(): number {
    if (this.registers === undefined) {
      return sparseEstimate(this.sparseSize);
    }
    return denseEstimate(this.registers, this.precision);
  }

  /** Approximate heap bytes held by the registers (for memory accounting). */
  get byteSize(): number {
    return this.registers?.byteLength ?? this.table?.byteLength ?? 0;
  }

  /**
   * Layout: u8 format (1 sparse, 2 dense); u8 precision; sparse: varint n,
   * then the n entries `(index25 << 6) | rank25` in ascending order as
   * varint deltas; dense: the m register bytes.
   */
  write(writer: ByteWriter): void {
    if (this.registers !== undefined) {
      writer.u8(FORMAT_DENSE).u8(this.precision).bytes(this.registers);
      return;
    }
    writer.u8(FORMAT_SPARSE).u8(this.precision).varint(this.sparseSize);
    if (this.table !== undefined && this.sparseSize > 0) {
      const entries = new Uint32Array(this.sparseSize);
      let n = 0;
      for (const entry of this.table) {
        if (entry !== 0) {
          entries[n++] = entry;
        }
      }
      entries.sort();
      let previous = 0;
      for (const entry of entries) {
        writer.varint(entry - previous);
        previous = entry;
      }
    }
  }

  serialize(): Uint8Array {
    const writer = new ByteWriter(this.registers !== undefined ? this.m + 2 : 8 + this.sparseSize * 4);
    this.write(writer);
    return writer.finish();
  }

  /** Merges a serialized HyperLogLog into this one without building it first. */
  mergeFromReader(reader: ByteReader): this {
    if (readSparseEntries(reader, this.precision, (entry) => this.mergeEntry(entry))) {
      return this;
    }
    // Dense: readSparseEntries checked the format and precision bytes and left them unread.
    reader.position += 2;
    const source = reader.bytesOf(this.m);
    if (this.registers === undefined) {
      this.toDense();
    }
    const target = this.registers as Uint8Array;
    for (let i = 0; i < target.length; i++) {
      if ((source[i] as number) > (target[i] as number)) {
        target[i] = source[i] as number;
      }
    }
    return this;
  }

  /** Reads one serialized HyperLogLog, taking its precision from the bytes. */
  static read(reader: ByteReader): HyperLogLog {
    const start = reader.position;
    reader.u8();
    const precision = reader.u8();
    reader.position = start;
    if (precision < MIN_HLL_PRECISION || precision > MAX_HLL_PRECISION) {
      reader.fail(`HyperLogLog precision ${precision} out of range`);
    }
    return new HyperLogLog(precision).mergeFromReader(reader);
  }

  static deserialize(bytes: Uint8Array): HyperLogLog {
    const reader = new ByteReader(bytes, 'HyperLogLog');
    const hll = HyperLogLog.read(reader);
    reader.end();
    return hll;
  }
}

/** Returns a new HyperLogLog holding the union of a and b. */
export function mergeHyperLogLogs(a: HyperLogLog, b: HyperLogLog): HyperLogLog {
  return a.clone().mergeFrom(b);
}
