/**
 * count, sum, min and max of one series in one pane (or any merge of panes).
 * avg and rate are derived at read time (sum / count; count / window
 * seconds), so they need no state of their own.
 *
 * merge is commutative and associative: exactly for count, min and max;
 * for sum up to float rounding (IEEE addition commutes but does not
 * associate), which is exact whenever the values and partial sums are
 * representable — integers below 2^53, or fixed binary fractions — and
 * otherwise differs in the last bits only.
 */
import { ByteReader, ByteWriter } from './bytes';

export interface Summary {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** The identity of merge: no values. */
export function emptySummary(): Summary {
  return { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
}

export function addToSummary(target: Summary, value: number): void {
  target.count++;
  target.sum += value;
  if (value < target.min) {
    target.min = value;
  }
  if (value > target.max) {
    target.max = value;
  }
}

export function mergeSummaries(a: Summary, b: Summary): Summary {
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: a.min <= b.min ? a.min : b.min,
    max: a.max >= b.max ? a.max : b.max,
  };
}

const FORMAT_COUNT_ONLY = 1;
const FORMAT_WITH_MEASURE = 2;

/**
 * Layout: u8 format; varint count; when the metric has a measure, f64 sum,
 * f64 min, f64 max (little-endian). A count-only metric pays 2-3 bytes.
 */
export function writeSummary(writer: ByteWriter, summary: Summary, withMeasure: boolean): void {
  writer.u8(withMeasure ? FORMAT_WITH_MEASURE : FORMAT_COUNT_ONLY).varint(summary.count);
  if (withMeasure) {
    writer.f64(summary.sum).f64(summary.min).f64(summary.max);
  }
}

export function readSummary(reader: ByteReader): Summary {
  const format = reader.u8();
  const count = reader.varint();
  if (format === FORMAT_COUNT_ONLY) {
    return { count, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
  }
  if (format !== FORMAT_WITH_MEASURE) {
    reader.fail(`unknown summary format ${format}`);
  }
  return { count, sum: reader.f64(), min: reader.f64(), max: reader.f64() };
}

export function serializeSummary(summary: Summary, withMeasure: boolean): Uint8Array {
  const writer = new ByteWriter(32);
  writeSummary(writer, summary, withMeasure);
  return writer.finish();
}

export function deserializeSummary(bytes: Uint8Array): Summary {
  const reader = new ByteReader(bytes, 'summary');
  const summary = readSummary(reader);
  reader.end();
  return summary;
}
