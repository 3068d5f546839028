import { copyInto, orderRows, unionTimes } from './align';

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

describe('unionTimes', () => {
  it('returns the shared column when every series has the same windows', () => {
    const a = [1, 2, 3];
    expect(unionTimes([a, [1, 2, 3], [1, 2, 3]])).toBe(a);
  });

  it('merges different windows into one ascending column without duplicates', () => {
    expect(unionTimes([[1, 3, 5], [2, 3, 6], [0]])).toEqual([0, 1, 2, 3, 5, 6]);
  });

  it('is empty without columns', () => {
    expect(unionTimes([])).toEqual([]);
  });
});

describe('copyInto', () => {
  it('copies into the given array, trimming it to length', () => {
    const target = [9, 9, 9, 9];
    expect(copyInto([1, 2], target)).toBe(target);
    expect(target).toEqual([1, 2]);
  });
});
