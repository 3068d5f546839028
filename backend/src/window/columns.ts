/**
 * Group-level partial aggregates, column-wise: one Float64Array per scalar
 * the query needs (count always: it tells empty groups apart and gives avg
 * and rate), and one object per group for sketches or HyperLogLogs.
 *
 * Reading panes into these is the read path's inner loop: one pass over a
 * pane's slots, `groupOf[series]` picks the group (or -1: filtered out), so
 * grouping and filtering cost one typed-array load per series × pane.
 */
import { HyperLogLog } from './aggregates/hyperloglog';
import { cloneSketch, mergeSketchInto, sketchQuantile, type QuantileSketch } from './aggregates/quantile-sketch';
import { MAX, MIN, SUM, type Pane } from './pane';
import type { MetricPanes } from './metric-panes';
import type { CompiledQuery, Needs } from './query';

export class Columns {
  capacity: number;
  count: Float64Array;
  sum: Float64Array | undefined;
  min: Float64Array | undefined;
  max: Float64Array | undefined;
  sketch: (QuantileSketch | undefined)[] | undefined;
  hll: (HyperLogLog | undefined)[] | undefined;

  constructor(
    readonly needs: Needs,
    capacity: number,
  ) {
    this.capacity = Math.max(1, capacity);
    this.count = new Float64Array(this.capacity);
    this.sum = needs.sum ? new Float64Array(this.capacity) : undefined;
    this.min = needs.min ? new Float64Array(this.capacity).fill(Number.POSITIVE_INFINITY) : undefined;
    this.max = needs.max ? new Float64Array(this.capacity).fill(Number.NEGATIVE_INFINITY) : undefined;
    this.sketch = needs.sketch ? [] : undefined;
    this.hll = needs.hll ? [] : undefined;
  }

  /** Resets to the identity of merge. */
  clear(): void {
    this.count.fill(0);
    this.sum?.fill(0);
    this.min?.fill(Number.POSITIVE_INFINITY);
    this.max?.fill(Number.NEGATIVE_INFINITY);
    if (this.sketch !== undefined) {
      this.sketch.length = 0;
    }
    if (this.hll !== undefined) {
      this.hll.length = 0;
    }
  }

  grow(capacity: number): void {
    if (capacity <= this.capacity) {
      return;
    }
    const next = Math.max(capacity, this.capacity * 2);
    const widen = (array: Float64Array, fill: number): Float64Array => {
      const grown = new Float64Array(next).fill(fill);
      grown.set(array);
      return grown;
    };
    this.count = widen(this.count, 0);
    this.sum = this.sum && widen(this.sum, 0);
    this.min = this.min && widen(this.min, Number.POSITIVE_INFINITY);
    this.max = this.max && widen(this.max, Number.NEGATIVE_INFINITY);
    this.capacity = next;
  }

  /** this ⊕= other, for the first `groups` groups. */
  mergeFrom(other: Columns, groups: number): void {
    const count = this.count;
    const otherCount = other.count;
    for (let g = 0; g < groups; g++) {
      count[g]! += otherCount[g] as number;
    }
    if (this.sum !== undefined) {
      const sum = this.sum;
      const otherSum = other.sum as Float64Array;
      for (let g = 0; g < groups; g++) {
        sum[g]! += otherSum[g] as number;
      }
    }
    if (this.min !== undefined) {
      const min = this.min;
      const otherMin = other.min as Float64Array;
      for (let g = 0; g < groups; g++) {
        if ((otherMin[g] as number) < (min[g] as number)) {
          min[g] = otherMin[g] as number;
        }
      }
    }
    if (this.max !== undefined) {
      const max = this.max;
      const otherMax = other.max as Float64Array;
      for (let g = 0; g < groups; g++) {
        if ((otherMax[g] as number) > (max[g] as number)) {
          max[g] = otherMax[g] as number;
        }
      }
    }
    if (this.sketch !== undefined) {
      const mine = this.sketch;
      (other.sketch as (QuantileSketch | undefined)[]).forEach((sketch, g) => {
        if (sketch !== undefined && g < groups) {
          const target = mine[g];
          if (target === undefined) {
            mine[g] = cloneSketch(sketch);
          } else {
            mergeSketchInto(target, sketch);
          }
        }
      });
    }
    if (this.hll !== undefined) {
      const mine = this.hll;
      (other.hll as (HyperLogLog | undefined)[]).forEach((hll, g) => {
        if (hll !== undefined && g < groups) {
          const target = mine[g];
          if (target === undefined) {
            mine[g] = hll.clone();
          } else {
            target.mergeFrom(hll);
          }
        }
      });
    }
  }

  /** this := other (objects cloned: merges into this must not reach other). */
  copyFrom(other: Columns, groups: number): void {
    this.count.set(other.count.subarray(0, groups));
    this.sum?.set((other.sum as Float64Array).subarray(0, groups));
    this.min?.set((other.min as Float64Array).subarray(0, groups));
    this.max?.set((other.max as Float64Array).subarray(0, groups));
    if (this.sketch !== undefined) {
      this.sketch = (other.sketch as (QuantileSketch | undefined)[]).map((s) => (s === undefined ? undefined : cloneSketch(s)));
    }
    if (this.hll !== undefined) {
      this.hll = (other.hll as (HyperLogLog | undefined)[]).map((h) => h?.clone());
    }
  }

  /** Folds every slot of a pane into its group. */
  addPane(pane: Pane, groupOf: Int32Array): void {
    const size = pane.size;
    const series = pane.series;
    const data = pane.data;
    const count = this.count;
    if (pane.stride === 1) {
      for (let slot = 0; slot < size; slot++) {
        const g = groupOf[series[slot] as number] as number;
        if (g >= 0) {
          count[g]! += data[slot] as number;
        }
      }
    } else {
      const { sum, min, max } = this;
      for (let slot = 0; slot < size; slot++) {
        const g = groupOf[series[slot] as number] as number;
        if (g < 0) {
          continue;
        }
        const base = slot * 4;
        count[g]! += data[base] as number;
        if (sum !== undefined) {
          sum[g]! += data[base + SUM] as number;
        }
        if (min !== undefined && (data[base + MIN] as number) < (min[g] as number)) {
          min[g] = data[base + MIN] as number;
        }
        if (max !== undefined && (data[base + MAX] as number) > (max[g] as number)) {
          max[g] = data[base + MAX] as number;
        }
      }
    }
    if (this.sketch !== undefined) {
      pane.addSketchesTo(groupOf, this.sketch);
    }
    if (this.hll !== undefined) {
      pane.addHllsTo(groupOf, this.hll);
    }
  }

  /** The query's aggregate for group g over a window of `sizeMs`. */
  value(query: CompiledQuery, g: number, sizeMs: number): number {
    const count = this.count[g] as number;
    switch (query.aggregate.kind) {
      case 'count':
        return count;
      case 'rate':
        return count / (sizeMs / 1000);
      case 'sum':
        return (this.sum as Float64Array)[g] as number;
      case 'avg':
        return ((this.sum as Float64Array)[g] as number) / count;
      case 'min':
        return (this.min as Float64Array)[g] as number;
      case 'max':
        return (this.max as Float64Array)[g] as number;
      case 'distinct': {
        const hll = this.hll?.[g];
        return hll === undefined ? 0 : Math.round(hll.estimate());
      }
      case 'quantile': {
        const sketch = this.sketch?.[g];
        return sketch === undefined
          ? Number.NaN
          : sketchQuantile(sketch, query.aggregate.q, (this.min as Float64Array)[g], (this.max as Float64Array)[g]);
      }
    }
  }
}

/**
 * Series → group for one query, per source (each source has its own series
 * ids). Groups are shared by all sources; new series and groups are added
 * incrementally, and a source's map is rebuilt when its registry freed ids.
 */
export class GroupIndex {
  readonly labels: Record<string, string>[] = [];
  private readonly groupKeys: string[] = [];
  private readonly keys = new Map<string, number>();
  private readonly maps = new Map<MetricPanes, { groupOf: Int32Array; mapped: number; generation: number }>();

  constructor(private readonly query: CompiledQuery) {}

  get size(): number {
    return this.labels.length;
  }

  /** The group's key: JSON of its groupBy values, for a stable order. */
  keyOf(group: number): string {
    return this.groupKeys[group] as string;
  }

  /** The series → group map of a source, extended to every series it has now. */
  groupOf(panes: MetricPanes): Int32Array {
    const registry = panes.registry;
    let entry = this.maps.get(panes);
    if (entry === undefined || entry.generation !== registry.generation) {
      entry = { groupOf: new Int32Array(Math.max(16, registry.idBound)).fill(-1), mapped: 0, generation: registry.generation };
      this.maps.set(panes, entry);
    }
    const bound = registry.idBound;
    if (entry.mapped === bound) {
      return entry.groupOf;
    }
    if (entry.groupOf.length < bound) {
      const grown = new Int32Array(Math.max(bound, entry.groupOf.length * 2)).fill(-1);
      grown.set(entry.groupOf.subarray(0, entry.mapped));
      entry.groupOf = grown;
    }
    const { groupBy, filter, metric } = this.query;
    for (let id = entry.mapped; id < bound; id++) {
      if (!registry.isLive(id)) {
        entry.groupOf[id] = -1;
        continue;
      }
      const values = registry.values(id);
      if (!filter.every((f) => f.values.has(values[f.dimension] as string))) {
        entry.groupOf[id] = -1;
        continue;
      }
      const tuple = groupBy.map((d) => values[d] as string);
      const key = JSON.stringify(tuple);
      let group = this.keys.get(key);
      if (group === undefined) {
        group = this.labels.length;
        this.keys.set(key, group);
        this.groupKeys.push(key);
        const labels: Record<string, string> = {};
        groupBy.forEach((d, i) => {
          labels[metric.dimensions[d] as string] = tuple[i] as string;
        });
        this.labels.push(labels);
      }
      entry.groupOf[id] = group;
    }
    entry.mapped = bound;
    return entry.groupOf;
  }
}

/** One source's metric panes and its series → group map, for reading a range. */
export interface SourceView {
  panes: MetricPanes;
  groupOf: Int32Array;
}

/**
 * The part of [from, to) a read must walk: [start, end) covering every
 * non-empty pane of every source (either tier) within it; undefined when there
 * is none. No pane position outside it holds data, so a read may skip it
 * whatever its windows span: a window of 1000 days over an hour of panes costs
 * that hour, not 86 million empty look-ups. Finding it takes a pass over the
 * panes held, so a range no longer (in fine panes) than the panes held is
 * walked as it is: a correction of a few panes (live-tail.ts) does not pay a
 * pass over the whole store.
 */
export function heldSpan(views: readonly SourceView[], from: number, to: number): { start: number; end: number } | undefined {
  let held = 0;
  for (const view of views) {
    held += view.panes.fine.panes.size + view.panes.coarse.panes.size;
  }
  const paneMs = views[0]?.panes.options.paneMs ?? 1;
  if ((to - from) / paneMs <= held) {
    return from < to ? { start: from, end: to } : undefined;
  }
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const view of views) {
    for (const tier of [view.panes.fine, view.panes.coarse]) {
      for (const [t, pane] of tier.panes) {
        if (pane.size > 0 && t + tier.paneMs > from && t < to) {
          start = Math.min(start, t);
          end = Math.max(end, t + tier.paneMs);
        }
      }
    }
  }
  return start < end ? { start: Math.max(start, from), end: Math.min(end, to) } : undefined;
}

/**
 * Folds every pane of [start, end) of every source into `target`: the fine
 * tier where the source still has it, the coarse tier before its fine floor.
 */
export function addRange(views: readonly SourceView[], start: number, end: number, target: Columns): void {
  for (const view of views) {
    // The fine floor is aligned to the coarse pane, so both parts stay whole panes.
    const floor = Math.min(Math.max(view.panes.fineFloor, start), end);
    addTier(view, view.panes.coarse, start, floor, target);
    addTier(view, view.panes.fine, floor, end, target);
  }
}

function addTier(view: SourceView, tier: MetricPanes['fine'], start: number, end: number, target: Columns): void {
  if (end <= start) {
    return;
  }
  const step = tier.paneMs;
  for (let t = Math.floor(start / step) * step; t < end; t += step) {
    const pane = tier.panes.get(t);
    if (pane !== undefined && pane.size > 0) {
      target.addPane(pane, view.groupOf);
    }
  }
}
