/**
 * Quantiles: DDSketch with 1 % relative accuracy from @datadog/sketches-js
 * (pinned to 2.1.1). The library supplies the logarithmic key mapping,
 * accept() and getValueAtQuantile(); this module supplies merge and the
 * byte format, because the library's own are unusable here:
 *
 * - DDSketch.merge() in 2.1.1 merges the positive store but not
 *   `negativeStore`, while adding the other sketch's count: merged sketches
 *   with negative values answer wrong quantiles. We never call it; we merge
 *   both stores, the zero count and the count ourselves (and the test
 *   "library merge drops negatives" pins the bug, so an upgrade that fixes it
 *   is noticed).
 * - DenseStore.merge() widens its range with `_extendRange(min, max || min)`,
 *   so a maximum key of 0 (values near 1) is taken as absent; ensureRange()
 *   lays the bins out over the union once instead.
 * - toProto()/fromProto() need protobufjs, which the package does not
 *   depend on, and fromProto drops min/max; our format is a few varints.
 *
 * The sketch's own sum/min/max fields are not kept in the byte form: the
 * pane's Summary holds them and quantile() clamps to that [min, max].
 */
import { DDSketch } from '@datadog/sketches-js';
import { ByteReader, ByteWriter } from './bytes';

export type QuantileSketch = DDSketch;
type Store = DDSketch['store'];

export const SKETCH_RELATIVE_ACCURACY = 0.01;
/** Bins grow in chunks of this many: the library's 128 costs 1 KB for a pane holding three values. */
const STORE_CHUNK = 128;
const FORMAT_LOG_1PCT = 1;

// The library's logarithmic mapping (1 %): bin keys in pane tables are its keys.
const MAPPING = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }).mapping;
const MIN_POSSIBLE = MAPPING.minPossible;

/** Bin tags in a packed bin key `key * 4 + tag`. */
const TAG_ZERO = 0;
const TAG_POSITIVE = 1;
const TAG_NEGATIVE = 2;

/**
 * The packed bin of a value, as DDSketch.accept() would file it: the
 * mapping's key in the positive or negative store, or the zero bucket.
 */
export function binKeyOf(value: number): number {
  if (value > MIN_POSSIBLE) {
    return MAPPING.key(value) * 4 + TAG_POSITIVE;
  }
  if (value < -MIN_POSSIBLE) {
    return MAPPING.key(-value) * 4 + TAG_NEGATIVE;
  }
  return TAG_ZERO;
}

/** Adds `count` values of a packed bin to a sketch. */
export function addBin(sketch: QuantileSketch, binKey: number, count: number): void {
  const tag = binKey & 3;
  if (tag === TAG_POSITIVE) {
    sketch.store.add(binKey >> 2, count);
  } else if (tag === TAG_NEGATIVE) {
    sketch.negativeStore.add(binKey >> 2, count);
  } else {
    sketch.zeroCount += count;
  }
  sketch.count += count;
}

/**
 * Writes the sketch of n packed bins sorted by packed key (so each store's
 * keys ascend), in the same layout as writeSketch.
 */
export function writeSketchBins(writer: ByteWriter, keys: Int32Array, counts: Float64Array, n: number): void {
  let zero = 0;
  let positive = 0;
  let negative = 0;
  for (let i = 0; i < n; i++) {
    const tag = (keys[i] as number) & 3;
    if (tag === TAG_POSITIVE) {
      positive++;
    } else if (tag === TAG_NEGATIVE) {
      negative++;
    } else {
      zero += counts[i] as number;
    }
  }
  writer.u8(FORMAT_LOG_1PCT).varint(zero);
  for (const [tag, size] of [
    [TAG_POSITIVE, positive],
    [TAG_NEGATIVE, negative],
  ] as const) {
    writer.varint(size);
    let previous = 0;
    let first = true;
    for (let i = 0; i < n; i++) {
      const packed = keys[i] as number;
      if ((packed & 3) !== tag) {
        continue;
      }
      const key = packed >> 2;
      if (first) {
        writer.zigzag(key);
        first = false;
      } else {
        writer.varint(key - previous);
      }
      writer.varint(counts[i] as number);
      previous = key;
    }
  }
}

/** Calls `onBin(packedKey, count)` for every bin of a serialized sketch. */
export function readSketchBins(reader: ByteReader, onBin: (binKey: number, count: number) => void): void {
  const format = reader.u8();
  if (format !== FORMAT_LOG_1PCT) {
    reader.fail(`unknown sketch format ${format}`);
  }
  const zero = reader.varint();
  if (zero > 0) {
    onBin(TAG_ZERO, zero);
  }
  for (const tag of [TAG_POSITIVE, TAG_NEGATIVE]) {
    const n = reader.varint();
    let key = 0;
    for (let i = 0; i < n; i++) {
      if (i === 0) {
        key = reader.zigzag();
      } else {
        const delta = reader.varint();
        if (delta === 0) {
          reader.fail('sketch keys must increase');
        }
        key += delta;
      }
      onBin(key * 4 + tag, reader.varint());
    }
  }
}

export function createSketch(): QuantileSketch {
  const sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
  sketch.store.chunkSize = STORE_CHUNK;
  sketch.negativeStore.chunkSize = STORE_CHUNK;
  return sketch;
}

/**
 * Makes a store's bins cover [min, max] in one step: a new array over the
 * union when they do not, instead of the library's _extendRange, which
 * re-centres (slice + unshift) chunk by chunk and, via `secondKey || key`,
 * takes a second key of 0 as absent.
 */
function ensureRange(store: Store, min: number, max: number): void {
  if (store.count === 0 && store.bins.length === 0) {
    store.bins = new Array<number>(max - min + 1).fill(0);
    store.offset = min;
    store.minKey = min;
    store.maxKey = max;
    return;
  }
  const low = Math.min(min, store.minKey);
  const high = Math.max(max, store.maxKey);
  if (low < store.offset || high >= store.offset + store.bins.length) {
    const bins = new Array<number>(high - low + 1).fill(0);
    for (let key = store.minKey; key <= store.maxKey; key++) {
      bins[key - low] = store.bins[key - store.offset] as number;
    }
    store.bins = bins;
    store.offset = low;
  }
  store.minKey = low;
  store.maxKey = high;
}

/** Adds every bin of `source` into `target`. */
function addStore(target: Store, source: Store): void {
  if (source.count === 0) {
    return;
  }
  if (target.count === 0) {
    // The library's copy is one array copy; widening an empty store would re-centre it.
    target.copy(source);
    return;
  }
  ensureRange(target, source.minKey, source.maxKey);
  const bins = source.bins;
  const from = source.minKey - source.offset;
  const to = source.maxKey - source.offset;
  const shift = source.offset - target.offset;
  const into = target.bins;
  for (let i = from; i <= to; i++) {
    const count = bins[i] as number;
    if (count !== 0) {
      into[i + shift] = (into[i + shift] as number) + count;
    }
  }
  target.count += source.count;
}

/** Merges `source` into `target`, negative values included (see the module comment). */
export function mergeSketchInto(target: QuantileSketch, source: QuantileSketch): void {
  addStore(target.store, source.store);
  addStore(target.negativeStore, source.negativeStore);
  target.zeroCount += source.zeroCount;
  target.count += source.count;
  target.sum += source.sum;
  if (source.min < target.min) {
    target.min = source.min;
  }
  if (source.max > target.max) {
    target.max = source.max;
  }
}

export function cloneSketch(sketch: QuantileSketch): QuantileSketch {
  const copy = createSketch();
  mergeSketchInto(copy, sketch);
  return copy;
}

/** Returns a new sketch holding both inputs. */
export function mergeSketches(a: QuantileSketch, b: QuantileSketch): QuantileSketch {
  const merged = cloneSketch(a);
  mergeSketchInto(merged, b);
  return merged;
}

/**
 * The value at quantile q (0..1): the sketch's estimate of the value of
 * rank floor(q · (n − 1)), within 1 % of it, clamped to [min, max] when
 * they are known (and then exact at q = 0 and q = 1).
 */
export function sketchQuantile(sketch: QuantileSketch, q: number, min?: number, max?: number): number {
  if (sketch.count === 0) {
    return Number.NaN;
  }
  // The ends are known exactly when min and max are.
  if (q <= 0 && min !== undefined) {
    return min;
  }
  if (q >= 1 && max !== undefined) {
    return max;
  }
  let value = sketch.getValueAtQuantile(q);
  if (min !== undefined && value < min) {
    value = min;
  }
  if (max !== undefined && value > max) {
    value = max;
  }
  return value;
}

function writeStore(writer: ByteWriter, store: Store): void {
  if (store.count === 0) {
    writer.varint(0);
    return;
  }
  const bins = store.bins;
  const from = store.minKey - store.offset;
  const to = store.maxKey - store.offset;
  let nonZero = 0;
  for (let i = from; i <= to; i++) {
    if (bins[i] !== 0) {
      nonZero++;
    }
  }
  writer.varint(nonZero);
  let previousKey = 0;
  let first = true;
  for (let i = from; i <= to; i++) {
    const count = bins[i] as number;
    if (count === 0) {
      continue;
    }
    const key = i + store.offset;
    if (first) {
      writer.zigzag(key);
      first = false;
    } else {
      writer.varint(key - previousKey);
    }
    writer.varint(count);
    previousKey = key;
  }
}

/**
 * Layout: u8 format (1 = logarithmic mapping, relative accuracy 0.01);
 * varint zero count; positive store; negative store. A store is varint n
 * (non-empty bins), then zigzag first key + varint count, then n − 1 pairs
 * of varint key delta + varint count. Three values in a pane ≈ 12 bytes.
 */
export function writeSketch(writer: ByteWriter, sketch: QuantileSketch): void {
  writer.u8(FORMAT_LOG_1PCT).varint(sketch.zeroCount);
  writeStore(writer, sketch.store);
  writeStore(writer, sketch.negativeStore);
}

export function serializeSketch(sketch: QuantileSketch): Uint8Array {
  const writer = new ByteWriter(64);
  writeSketch(writer, sketch);
  return writer.finish();
}

// Scratch for decoding: bins are read first, so the store widens once.
let scratchKeys = new Float64Array(256);
let scratchCounts = new Float64Array(256);

function readStoreInto(reader: ByteReader, target: Store): number {
  const n = reader.varint();
  if (n === 0) {
    return 0;
  }
  if (n > scratchKeys.length) {
    let capacity = scratchKeys.length;
    while (capacity < n) {
      capacity *= 2;
    }
    scratchKeys = new Float64Array(capacity);
    scratchCounts = new Float64Array(capacity);
  }
  let key = reader.zigzag();
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      const delta = reader.varint();
      if (delta === 0) {
        reader.fail('sketch keys must increase');
      }
      key += delta;
    }
    const count = reader.varint();
    scratchKeys[i] = key;
    scratchCounts[i] = count;
    total += count;
  }
  ensureRange(target, scratchKeys[0] as number, scratchKeys[n - 1] as number);
  const bins = target.bins;
  const offset = target.offset;
  for (let i = 0; i < n; i++) {
    const index = (scratchKeys[i] as number) - offset;
    bins[index] = (bins[index] as number) + (scratchCounts[i] as number);
  }
  target.count += total;
  return total;
}

/** Merges a serialized sketch into `target` without building it first. */
export function mergeSketchFromReader(target: QuantileSketch, reader: ByteReader): void {
  const format = reader.u8();
  if (format !== FORMAT_LOG_1PCT) {
    reader.fail(`unknown sketch format ${format}`);
  }
  const zero = reader.varint();
  target.zeroCount += zero;
  const positive = readStoreInto(reader, target.store);
  const negative = readStoreInto(reader, target.negativeStore);
  target.count += zero + positive + negative;
}

export function deserializeSketch(bytes: Uint8Array): QuantileSketch {
  const reader = new ByteReader(bytes, 'sketch');
  const sketch = createSketch();
  mergeSketchFromReader(sketch, reader);
  reader.end();
  return sketch;
}

/**
 * The value range a packed bin covers, for exporting a sketch as histogram
 * buckets: a positive key k holds (γ^(k−1), γ^k]; negative keys mirror it;
 * the zero bin holds [0, 0].
 */
export function binBounds(binKey: number): { lower: number; upper: number } {
  const tag = binKey & 3;
  if (tag === TAG_ZERO) {
    return { lower: 0, upper: 0 };
  }
  const upper = (MAPPING.value(binKey >> 2) * (1 + MAPPING.gamma)) / 2;
  const lower = upper / MAPPING.gamma;
  return tag === TAG_POSITIVE ? { lower, upper } : { lower: -upper, upper: -lower };
}
