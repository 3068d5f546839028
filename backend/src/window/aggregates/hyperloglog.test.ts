import { HyperLogLog, mergeHyperLogLogs } from './hyperloglog';

function hllOf(values: Iterable<string>, precision = 14): HyperLogLog {
  const hll = new HyperLogLog(precision);
  for (const value of values) {
    hll.add(value);
  }
  return hll;
}

function* ids(from: number, to: number, prefix = 'player-'): Generator<string> {
  for (let i = from; i < to; i++) {
    yield `${prefix}${i}`;
  }
}

describe('HyperLogLog', () => {
  it('estimates within 2 % from tens to millions of distinct values', () => {
    for (const n of [10, 100, 1_000, 5_000, 20_000, 100_000, 400_000]) {
      const estimate = hllOf(ids(0, n)).estimate();
      expect(Math.abs(estimate - n) / n).toBeLessThan(0.02);
    }
  });

  it('counts small sets (the sparse form) almost exactly', () => {
    for (const n of [1, 2, 10, 40, 100, 500, 2000]) {
      const hll = hllOf(ids(0, n, `set${n}-`));
      expect(hll.isDense).toBe(false);
      expect(Math.abs(hll.estimate() - n)).toBeLessThanOrEqual(1);
    }
  });

  it('folds sparse entries into the registers a dense insert sets, at any precision', () => {
    for (const precision of [4, 10, 14, 16]) {
      const sparse = hllOf(ids(0, 300), precision);
      const dense = new HyperLogLog(precision).mergeFrom(hllOf(ids(0, 200_000, 'filler-'), precision));
      const viaSparse = dense.clone().mergeFrom(sparse);
      const direct = dense.clone();
      for (const id of ids(0, 300)) {
        direct.add(id);
      }
      expect(viaSparse.serialize()).toEqual(direct.serialize());
    }
  });

  it('is 0 when empty and ignores repeats', () => {
    expect(new HyperLogLog().estimate()).toBe(0);
    const hll = hllOf(['a', 'b', 'a', 'a', 'b']);
    expect(Math.round(hll.estimate())).toBe(2);
  });

  it('stays sparse (small) for small sets and turns dense past m/8 entries', () => {
    const small = hllOf(ids(0, 100));
    expect(small.isDense).toBe(false);
    expect(small.serialize().length).toBeLessThan(100 * 5 + 8);
    expect(new HyperLogLog().serialize().length).toBe(3);
    expect(hllOf(ids(0, 5_000)).isDense).toBe(true);
  });

  it('merges commutatively, associatively and idempotently, in sparse and dense forms', () => {
    const a = hllOf(ids(0, 3_000));
    const b = hllOf(ids(2_000, 2_500));
    const c = hllOf(ids(10_000, 40_000));
    const union = hllOf([...ids(0, 3_000), ...ids(10_000, 40_000)]);
    const estimate = (h: HyperLogLog) => h.estimate();
    expect(estimate(mergeHyperLogLogs(a, b))).toBe(estimate(mergeHyperLogLogs(b, a)));
    expect(estimate(mergeHyperLogLogs(mergeHyperLogLogs(a, b), c))).toBe(estimate(mergeHyperLogLogs(a, mergeHyperLogLogs(b, c))));
    expect(estimate(mergeHyperLogLogs(mergeHyperLogLogs(a, b), c))).toBe(estimate(union));
    expect(estimate(mergeHyperLogLogs(a, a))).toBe(estimate(a));
    // Exact register equality, whatever the forms merged.
    expect(mergeHyperLogLogs(mergeHyperLogLogs(c, b), a).serialize()).toEqual(union.serialize());
  });

  it('round-trips through bytes in both forms and merges straight from bytes', () => {
    for (const hll of [new HyperLogLog(), hllOf(ids(0, 50)), hllOf(ids(0, 50_000)), hllOf(ids(0, 500), 10)]) {
      const copy = HyperLogLog.deserialize(hll.serialize());
      expect(copy.precision).toBe(hll.precision);
      expect(copy.estimate()).toBe(hll.estimate());
      expect(copy.serialize()).toEqual(hll.serialize());
    }
  });

  it('rejects malformed bytes and mismatched precisions', () => {
    expect(() => HyperLogLog.deserialize(Uint8Array.from([7, 14]))).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_PARTIAL_FORMAT' }));
    expect(() => HyperLogLog.deserialize(Uint8Array.from([1, 14, 2, 5]))).toThrow(/truncated/);
    expect(() => new HyperLogLog(14).mergeFrom(new HyperLogLog(12))).toThrow(/precision/);
    expect(() => new HyperLogLog(3)).toThrow(/precision/);
  });
});
