/**
 * One table per open pane for all its series' sketch bins (or HLL sparse
 * entries): (slot, key) → value in typed arrays, instead of a DDSketch or
 * HyperLogLog object per series × pane. Why: with 10 000 series those
 * objects — a few arrays each, grown and re-centred as values arrive — made
 * the quantile metric GC-bound (≈ 200 k events/s); a shared table allocates
 * nothing per event.
 *
 * Entries are appended to parallel arrays; an open-addressing index finds
 * (slot, key); a chain per slot lists a slot's entries, so one slot can be
 * serialized without scanning the table. Serializing most slots at once
 * (a drain, an encode) first groups the entries by slot in one counting
 * sort, because walking 10 000 chains entry by entry is a cache miss per
 * entry.
 */
export type Combine = 'sum' | 'max';

const EMPTY = 0;

export class SlotTable {
  /** Entry fields, parallel arrays; entry e is live for e < size. */
  entrySlot: Int32Array;
  entryKey: Int32Array;
  entryValue: Float64Array;
  private entryNext: Int32Array;
  size = 0;
  /** Hash index: entry + 1, or EMPTY. */
  private index: Int32Array;
  private shift: number;
  /** Per slot: first entry + 1 of its chain, and its entry count. */
  private heads: Int32Array;
  private counts: Int32Array;
  /** Entries grouped by slot (valid while `grouped`): slot s at [offsets[s], offsets[s + 1]). */
  private grouped = false;
  private groupOffsets = new Int32Array(0);
  private groupKeys = new Int32Array(0);
  private groupValues = new Float64Array(0);

  constructor(
    private readonly combine: Combine,
    capacity = 256,
  ) {
    const entries = Math.max(16, capacity);
    this.entrySlot = new Int32Array(entries);
    this.entryKey = new Int32Array(entries);
    this.entryValue = new Float64Array(entries);
    this.entryNext = new Int32Array(entries);
    const indexSize = 1 << Math.ceil(Math.log2(entries * 2));
    this.index = new Int32Array(indexSize);
    this.shift = 32 - Math.log2(indexSize);
    this.heads = new Int32Array(64);
    this.counts = new Int32Array(64);
  }

  private position(slot: number, key: number): number {
    return (Math.imul(slot, 0x9e3779b1) ^ Math.imul(key, 0x85ebca77)) >>> this.shift;
  }

  /** Adds (sum) or raises (max) the value of (slot, key); returns the slot's entry count. */
  add(slot: number, key: number, value: number): number {
    this.grouped = false;
    const index = this.index;
    const mask = index.length - 1;
    let at = this.position(slot, key);
    for (;;) {
      const found = index[at] as number;
      if (found === EMPTY) {
        break;
      }
      const e = found - 1;
      if (this.entryKey[e] === key && this.entrySlot[e] === slot) {
        if (this.combine === 'sum') {
          this.entryValue[e]! += value;
        } else if (value > (this.entryValue[e] as number)) {
          this.entryValue[e] = value;
        }
        return this.counts[slot] as number;
      }
      at = (at + 1) & mask;
    }
    const e = this.size;
    if (e === this.entrySlot.length) {
      this.growEntries();
    }
    if (slot >= this.heads.length) {
      this.growSlots(slot + 1);
    }
    this.entrySlot[e] = slot;
    this.entryKey[e] = key;
    this.entryValue[e] = value;
    this.entryNext[e] = this.heads[slot] as number;
    this.heads[slot] = e + 1;
    this.size++;
    index[at] = e + 1;
    if (this.size * 2 > index.length) {
      this.rehash(index.length * 2);
    }
    return ++this.counts[slot]!;
  }

  private growEntries(): void {
    const capacity = this.entrySlot.length * 2;
    const widen = <T extends Int32Array | Float64Array>(array: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(array);
      return grown;
    };
    this.entrySlot = widen(this.entrySlot, (n) => new Int32Array(n));
    this.entryKey = widen(this.entryKey, (n) => new Int32Array(n));
    this.entryValue = widen(this.entryValue, (n) => new Float64Array(n));
    this.entryNext = widen(this.entryNext, (n) => new Int32Array(n));
  }

  private growSlots(needed: number): void {
    let length = this.heads.length * 2;
    while (length < needed) {
      length *= 2;
    }
    const heads = new Int32Array(length);
    heads.set(this.heads);
    this.heads = heads;
    const counts = new Int32Array(length);
    counts.set(this.counts);
    this.counts = counts;
  }

  private rehash(length: number): void {
    const index = new Int32Array(length);
    this.index = index;
    this.shift = 32 - Math.log2(length);
    const mask = length - 1;
    for (let e = 0; e < this.size; e++) {
      let at = this.position(this.entrySlot[e] as number, this.entryKey[e] as number);
      while (index[at] !== EMPTY) {
        at = (at + 1) & mask;
      }
      index[at] = e + 1;
    }
  }

  /** The number of entries of a slot. */
  countOf(slot: number): number {
    return slot < this.counts.length ? (this.counts[slot] as number) : 0;
  }

  /** Groups the entries by slot (counting sort), making the next collect() calls sequential reads. */
  groupBySlot(): void {
    const slots = this.heads.length;
    if (this.groupOffsets.length < slots + 1) {
      this.groupOffsets = new Int32Array(slots + 1);
    }
    if (this.groupKeys.length < this.size) {
      this.groupKeys = new Int32Array(this.entrySlot.length);
      this.groupValues = new Float64Array(this.entrySlot.length);
    }
    const offsets = this.groupOffsets;
    let total = 0;
    for (let slot = 0; slot < slots; slot++) {
      offsets[slot] = total;
      total += this.counts[slot] as number;
    }
    offsets[slots] = total;
    // Fill each slot's range from its start; offsets[s] ends at the next slot's start, then is restored.
    for (let e = 0; e < this.size; e++) {
      const slot = this.entrySlot[e] as number;
      const at = offsets[slot]!++;
      this.groupKeys[at] = this.entryKey[e] as number;
      this.groupValues[at] = this.entryValue[e] as number;
    }
    for (let slot = slots; slot > 0; slot--) {
      offsets[slot] = offsets[slot - 1] as number;
    }
    offsets[0] = 0;
    this.grouped = true;
  }

  /**
   * Copies a slot's entries into the scratch arrays, sorted by key; returns
   * how many. The arrays are grown as needed and reused between calls.
   */
  collect(slot: number, scratch: { keys: Int32Array; values: Float64Array }): number {
    const n = this.countOf(slot);
    if (scratch.keys.length < n) {
      let capacity = scratch.keys.length;
      while (capacity < n) {
        capacity *= 2;
      }
      scratch.keys = new Int32Array(capacity);
      scratch.values = new Float64Array(capacity);
    }
    const keys = scratch.keys;
    const values = scratch.values;
    // Entries of value 0 were cleared (see clearSlot) and are skipped.
    let i = 0;
    if (this.grouped && n > 0) {
      const from = this.groupOffsets[slot] as number;
      for (let j = from; j < from + n; j++) {
        const value = this.groupValues[j] as number;
        if (value !== 0) {
          keys[i] = this.groupKeys[j] as number;
          values[i++] = value;
        }
      }
    } else {
      let e = (slot < this.heads.length ? (this.heads[slot] as number) : 0) - 1;
      while (e >= 0) {
        const value = this.entryValue[e] as number;
        if (value !== 0) {
          keys[i] = this.entryKey[e] as number;
          values[i++] = value;
        }
        e = (this.entryNext[e] as number) - 1;
      }
    }
    sortPairs(keys, values, i);
    return i;
  }

  /**
   * Empties a slot (a stored partial replacing it): its entries keep their
   * place with value 0, which every reader skips and which add() treats as
   * absent for both sum and max.
   */
  clearSlot(slot: number): void {
    let e = (slot < this.heads.length ? (this.heads[slot] as number) : 0) - 1;
    while (e >= 0) {
      this.entryValue[e] = 0;
      e = (this.entryNext[e] as number) - 1;
    }
    this.grouped = false;
  }

  /** Approximate bytes held. */
  get byteSize(): number {
    return (
      this.entrySlot.byteLength +
      this.entryKey.byteLength +
      this.entryValue.byteLength +
      this.entryNext.byteLength +
      this.index.byteLength +
      this.heads.byteLength +
      this.counts.byteLength +
      this.groupOffsets.byteLength +
      this.groupKeys.byteLength +
      this.groupValues.byteLength
    );
  }
}

/** Above this many pairs, sorting through packed doubles beats insertion sort. */
const INSERTION_SORT_MAX = 48;
/** Packed keys carry the pair's position in their low 16 bits. */
const POSITION_BITS = 65536;
let packed = new Float64Array(256);
let held = new Float64Array(256);

/**
 * Sorts the first n (key, value) pairs by key (keys are distinct): insertion
 * sort when short; else each pair is packed into one double, key × 2^16 +
 * position (exact: |key| < 2^31), and the doubles are sorted by the typed
 * array's own numeric sort, which runs in C++ without calling back into JS.
 * A comparator sort through a permutation cost ~10× more and was the
 * processor's largest single cost when a drain serialized many sketches.
 */
function sortPairs(keys: Int32Array, values: Float64Array, n: number): void {
  if (n <= INSERTION_SORT_MAX) {
    for (let i = 1; i < n; i++) {
      const key = keys[i] as number;
      const value = values[i] as number;
      let j = i;
      while (j > 0 && (keys[j - 1] as number) > key) {
        keys[j] = keys[j - 1] as number;
        values[j] = values[j - 1] as number;
        j--;
      }
      keys[j] = key;
      values[j] = value;
    }
    return;
  }
  if (n > POSITION_BITS) {
    sortThroughPermutation(keys, values, n);
    return;
  }
  if (packed.length < n) {
    packed = new Float64Array(n * 2);
    held = new Float64Array(n * 2);
  }
  for (let i = 0; i < n; i++) {
    packed[i] = (keys[i] as number) * POSITION_BITS + i;
    held[i] = values[i] as number;
  }
  packed.subarray(0, n).sort();
  for (let i = 0; i < n; i++) {
    const p = packed[i] as number;
    const key = Math.floor(p / POSITION_BITS);
    keys[i] = key;
    values[i] = held[p - key * POSITION_BITS] as number;
  }
}

/** More pairs than positions fit in the packing (never seen in practice): sort a permutation. */
function sortThroughPermutation(keys: Int32Array, values: Float64Array, n: number): void {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
  }
  order.sort((a, b) => (keys[a] as number) - (keys[b] as number));
  const sortedKeys = Int32Array.from(order, (i) => keys[i] as number);
  const sortedValues = Float64Array.from(order, (i) => values[i] as number);
  keys.set(sortedKeys);
  values.set(sortedValues);
}
