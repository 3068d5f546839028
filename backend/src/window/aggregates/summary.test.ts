import { ByteReader, ByteWriter } from './bytes';
import { addToSummary, deserializeSummary, emptySummary, mergeSummaries, serializeSummary, type Summary } from './summary';

function summaryOf(values: number[]): Summary {
  const summary = emptySummary();
  values.forEach((v) => addToSummary(summary, v));
  return summary;
}

describe('Summary (count, sum, min, max)', () => {
  it('merges commutatively and associatively, with the empty summary as identity', () => {
    const a = summaryOf([1, -5, 3.5]);
    const b = summaryOf([10, 0.25]);
    const c = summaryOf([-7]);
    expect(mergeSummaries(a, b)).toEqual(mergeSummaries(b, a));
    expect(mergeSummaries(mergeSummaries(a, b), c)).toEqual(mergeSummaries(a, mergeSummaries(b, c)));
    expect(mergeSummaries(a, emptySummary())).toEqual(a);
    expect(mergeSummaries(mergeSummaries(a, b), c)).toEqual(summaryOf([1, -5, 3.5, 10, 0.25, -7]));
  });

  it('round-trips through bytes, count-only in two bytes', () => {
    const summary = summaryOf([1.5, -2, 1e300]);
    expect(deserializeSummary(serializeSummary(summary, true))).toEqual(summary);
    const countOnly = serializeSummary({ count: 3, sum: 0, min: 0, max: 0 }, false);
    expect(countOnly.length).toBe(2);
    expect(deserializeSummary(countOnly).count).toBe(3);
    expect(deserializeSummary(serializeSummary(emptySummary(), true))).toEqual(emptySummary());
  });

  it('rejects malformed bytes with a coded error', () => {
    expect(() => deserializeSummary(Uint8Array.from([9, 1]))).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_PARTIAL_FORMAT' }));
    expect(() => deserializeSummary(Uint8Array.from([2, 1, 0]))).toThrow(/truncated/);
    expect(() => deserializeSummary(Uint8Array.from([1, 1, 0]))).toThrow(/trailing/);
  });
});

describe('varints', () => {
  it('carry integers up to 2^53 and zigzag negatives', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
    const writer = new ByteWriter(2);
    values.forEach((v) => writer.varint(v));
    [-1, 0, 5, -300, 2 ** 40, -(2 ** 40)].forEach((v) => writer.zigzag(v));
    const reader = new ByteReader(writer.finish(), 'test');
    expect(values.map(() => reader.varint())).toEqual(values);
    expect([0, 1, 2, 3, 4, 5].map(() => reader.zigzag())).toEqual([-1, 0, 5, -300, 2 ** 40, -(2 ** 40)]);
    reader.end();
  });
});
