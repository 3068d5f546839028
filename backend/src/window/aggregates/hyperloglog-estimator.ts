/**
 * The HyperLogLog's cardinality estimates: linear counting while the sketch is
 * sparse; for the dense registers Ertl's improved raw estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017):
 * unbiased over the whole range without the empirical bias tables of HLL++.
 */
import { SPARSE_P } from './hyperloglog-format';

const SPARSE_M = 2 ** SPARSE_P;
const ALPHA_INF = 0.5 / Math.LN2;

/** Linear counting over the 2^25 sparse buckets: near exact at these sizes. */
export function sparseEstimate(sparseSize: number): number {
  return sparseSize === 0 ? 0 : SPARSE_M * Math.log(SPARSE_M / (SPARSE_M - sparseSize));
}

/** Ertl's estimate over the m = 2^precision dense registers. */
export function denseEstimate(registers: Uint8Array, precision: number): number {
  const q = 64 - precision;
  const histogram = new Float64Array(q + 2);
  for (const rank of registers) {
    histogram[rank]!++;
  }
  const m = registers.length;
  let z = m * tau(1 - (histogram[q + 1] as number) / m);
  for (let k = q; k >= 1; k--) {
    z = 0.5 * (z + (histogram[k] as number));
  }
  z += m * sigma((histogram[0] as number) / m);
  return (ALPHA_INF * m * m) / z;
}

function sigma(x: number): number {
  if (x === 1) {
    return Number.POSITIVE_INFINITY;
  }
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z !== previous);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) {
    return 0;
  }
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z !== previous);
  return z / 3;
}
