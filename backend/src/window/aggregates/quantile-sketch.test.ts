import { DDSketch } from '@datadog/sketches-js';
import {
  cloneSketch,
  createSketch,
  deserializeSketch,
  mergeSketches,
  mergeSketchInto,
  serializeSketch,
  sketchQuantile,
  type QuantileSketch,
} from './quantile-sketch';

function sketchOf(values: number[]): QuantileSketch {
  const sketch = createSketch();
  values.forEach((v) => sketch.accept(v));
  return sketch;
}

/** The value of rank floor(q · (n − 1)): what DDSketch approximates within 1 %. */
function trueQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

function random(seed: number): () => number {
  let state = seed;
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

function expectWithin1pct(sketch: QuantileSketch, values: number[]): void {
  for (const q of QS) {
    const expected = trueQuantile(values, q);
    const actual = sketchQuantile(sketch, q);
    expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * 0.01 + 1e-9);
  }
}

describe('quantile sketch (DDSketch, 1 % relative accuracy)', () => {
  const next = random(42);
  const mixed = Array.from({ length: 5_000 }, () => (next() - 0.4) * 2_000);
  const positive = Array.from({ length: 5_000 }, () => Math.exp(next() * 10));

  it('answers quantiles within 1 % of the true rank value, negatives and zero included', () => {
    expectWithin1pct(sketchOf(mixed), mixed);
    expectWithin1pct(sketchOf(positive), positive);
    expectWithin1pct(sketchOf([0, 0, -1, 5]), [0, 0, -1, 5]);
  });

  it('library merge drops negatives in 2.1.1 (pins the known bug our merge avoids)', () => {
    const a = new DDSketch({ relativeAccuracy: 0.01 });
    const b = new DDSketch({ relativeAccuracy: 0.01 });
    [1, 2, 3].forEach((v) => a.accept(v));
    [-10, -20, -30].forEach((v) => b.accept(v));
    a.merge(b);
    expect(a.count).toBe(6);
    expect(a.negativeStore.count).toBe(0); // the bug: b's negative values are gone, the count is not
    const ours = mergeSketches(sketchOf([1, 2, 3]), sketchOf([-10, -20, -30]));
    expect(ours.negativeStore.count).toBe(3);
    expect(sketchQuantile(ours, 0)).toBeCloseTo(-30, -0.5);
  });

  it('merges with negative values into the quantiles of the union', () => {
    const parts = [mixed.slice(0, 1_000), mixed.slice(1_000, 1_001), mixed.slice(1_001, 4_000), mixed.slice(4_000)];
    const merged = createSketch();
    for (const part of parts) {
      mergeSketchInto(merged, sketchOf(part));
    }
    expectWithin1pct(merged, mixed);
    expect(serializeSketch(merged)).toEqual(serializeSketch(sketchOf(mixed)));
  });

  it('merges commutatively and associatively (bin for bin)', () => {
    const a = sketchOf(mixed.slice(0, 100));
    const b = sketchOf(positive.slice(0, 300));
    const c = sketchOf([0, -0.5, 0.99, 1, 1.01]); // keys around 0, where DenseStore.merge slips
    const bytes = (s: QuantileSketch) => serializeSketch(s);
    expect(bytes(mergeSketches(a, b))).toEqual(bytes(mergeSketches(b, a)));
    expect(bytes(mergeSketches(mergeSketches(a, b), c))).toEqual(bytes(mergeSketches(a, mergeSketches(b, c))));
    expect(bytes(mergeSketches(c, createSketch()))).toEqual(bytes(c));
    expect(bytes(mergeSketches(sketchOf([0.5]), sketchOf([0.999])))).toEqual(bytes(sketchOf([0.5, 0.999])));
  });

  it('round-trips through bytes compactly', () => {
    for (const values of [[], [0], [-3, 3], mixed, positive]) {
      const sketch = sketchOf(values);
      const copy = deserializeSketch(serializeSketch(sketch));
      expect(copy.count).toBe(sketch.count);
      expect(serializeSketch(copy)).toEqual(serializeSketch(sketch));
      for (const q of QS) {
        expect(sketchQuantile(copy, q)).toBe(sketchQuantile(sketch, q));
      }
    }
    expect(serializeSketch(sketchOf([12, 15, 250])).length).toBeLessThanOrEqual(12);
    expect(serializeSketch(cloneSketch(sketchOf([]))).length).toBe(4);
  });

  it('clamps to the known min and max and is NaN when empty', () => {
    const sketch = sketchOf([100, 200, 300]);
    expect(sketchQuantile(sketch, 1, 100, 300)).toBe(300);
    expect(sketchQuantile(sketch, 0, 100, 300)).toBe(100);
    expect(sketchQuantile(createSketch(), 0.5)).toBeNaN();
  });

  it('rejects malformed bytes with a coded error', () => {
    expect(() => deserializeSketch(Uint8Array.from([2, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_PARTIAL_FORMAT' }));
    expect(() => deserializeSketch(Uint8Array.from([1, 0, 2, 4, 1, 0, 1, 0]))).toThrow(/increase/);
  });
});
