import { copySpan, orderRows, unionSpans } from './align';
import { type Span } from './visible';

describe('orderRows', () => {
  it('keeps rows in place, without copying, when times ascend', () => {
    const times = [1, 2, 5];
    const ordered = orderRows(times);
    expect(ordered.times).toBe(times);
    expect(ordered.rows).toBeNull();
  });

  it('sorts out-of-order rows and keeps the last row of equal times', () => {
    const { times, rows } = orderRows([3, 1, 2, 1]);
    expect(times).toEqual([1, 2, 3]);
    expect(Array.from(rows ?? [])).toEqual([3, 2, 0]);
  });

  it('drops rows without a usable time', () => {
    const { times, rows } = orderRows([2, null, 1]);
    expect(times).toEqual([1, 2]);
    expect(Array.from(rows ?? [])).toEqual([2, 0]);
  });
});

const all = (times: number[]): Span => ({ times, start: 0, end: times.length });

describe('unionSpans', () => {
  it('returns the shared span when every series has the same windows', () => {
    const a = all([1, 2, 3]);
    expect(unionSpans([a, all([1, 2, 3]), { times: [0, 1, 2, 3], start: 1, end: 4 }])).toBe(a);
  });

  it('merges different windows into one ascending column without duplicates, within each span', () => {
    const union = unionSpans([all([1, 3, 5]), { times: [-9, 2, 3, 6, 99], start: 1, end: 4 }, all([0])]);
    expect(union.times.slice(union.start, union.end)).toEqual([0, 1, 2, 3, 5, 6]);
  });

  it('is empty without spans', () => {
    expect(unionSpans([])).toEqual({ times: [], start: 0, end: 0 });
  });
});

describe('copySpan', () => {
  it('copies into the given array, trimming it to length, and says whether that changed it', () => {
    const target = [9, 9, 9, 9];
    const first = copySpan({ times: [0, 1, 2, 3], start: 1, end: 3 }, target);
    expect(first).toEqual({ column: [1, 2], changed: true });
    expect(first.column).toBe(target);
    expect(copySpan(all([1, 2]), target).changed).toBe(false);
    expect(copySpan(all([1, 3]), target).changed).toBe(true);
  });
});
