/**
 * Sliding-window aggregation without inverse functions: the two-stacks
 * queue. Slices enter at the back and leave at the front; the front part
 * keeps suffix aggregates (front[i] = slice i ⊕ … ⊕ last front slice), the
 * back part one running aggregate. The window's aggregate is
 * front[head] ⊕ back. When the front runs empty, the back is "flipped" into
 * suffix aggregates in one pass. Every slice is merged O(1) times amortized,
 * so the cost per slide does not grow with size / slide — for min, max,
 * sketches and HLLs alike, and for sums without the drift of
 * subtract-on-evict in floating point.
 */
import { Columns } from './columns';
import type { Needs } from './query';

export class SlidingAggregator {
  private items: Columns[] = [];
  private suffixes: (Columns | undefined)[] = [];
  private head = 0;
  /** items[head, boundary) are the front (with suffixes), items[boundary, end) the back. */
  private boundary = 0;
  private back: Columns;
  private readonly pool: Columns[] = [];
  private groups: number;

  constructor(
    private readonly needs: Needs,
    groups: number,
  ) {
    this.groups = groups;
    this.back = new Columns(needs, groups);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Widens every held aggregate to `groups` groups (new series created new groups). */
  grow(groups: number): void {
    if (groups <= this.groups) {
      return;
    }
    this.groups = groups;
    for (const columns of [...this.items, ...this.suffixes, this.back, ...this.pool]) {
      columns?.grow(groups);
    }
  }

  /** An empty slice aggregate to fill and push (recycled from popped ones). */
  take(): Columns {
    const columns = this.pool.pop();
    if (columns === undefined) {
      return new Columns(this.needs, this.groups);
    }
    columns.grow(this.groups);
    columns.clear();
    return columns;
  }

  release(columns: Columns): void {
    this.pool.push(columns);
  }

  push(slice: Columns): void {
    this.items.push(slice);
    this.back.mergeFrom(slice, this.groups);
  }

  /** Drops the oldest slice. */
  pop(): void {
    if (this.length === 0) {
      return;
    }
    if (this.head === this.boundary) {
      this.flip();
    }
    this.release(this.items[this.head] as Columns);
    const suffix = this.suffixes[this.head];
    if (suffix !== undefined) {
      this.release(suffix);
    }
    this.items[this.head] = undefined as unknown as Columns;
    this.suffixes[this.head] = undefined;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.suffixes = this.suffixes.slice(this.head);
      this.boundary -= this.head;
      this.head = 0;
    }
  }

  /** Recomputes suffix aggregates over every held slice; the back becomes empty. */
  private flip(): void {
    const end = this.items.length;
    for (let i = this.head; i < this.boundary; i++) {
      const old = this.suffixes[i];
      if (old !== undefined) {
        this.release(old);
      }
    }
    let next: Columns | undefined;
    for (let i = end - 1; i >= this.head; i--) {
      const suffix = this.take();
      suffix.copyFrom(this.items[i] as Columns, this.groups);
      if (next !== undefined) {
        suffix.mergeFrom(next, this.groups);
      }
      this.suffixes[i] = suffix;
      next = suffix;
    }
    this.boundary = end;
    this.back.clear();
  }

  /** out := aggregate of all held slices. */
  query(out: Columns): void {
    this.suffix(0, out);
  }

  /** out := aggregate of the held slices from the k-th oldest (0-based) to the newest. */
  suffix(k: number, out: Columns): void {
    out.grow(this.groups);
    const at = this.head + k;
    if (k >= this.length) {
      out.clear();
      return;
    }
    if (at >= this.boundary) {
      // The wanted start lies in the back: flip so it has a suffix (amortized: k is small).
      this.flip();
    }
    out.copyFrom(this.suffixes[at] as Columns, this.groups);
    out.mergeFrom(this.back, this.groups);
  }

  /** Replaces the k-th oldest slice (a correction) and rebuilds the aggregates. */
  replace(k: number, slice: Columns): void {
    const at = this.head + k;
    if (k < 0 || k >= this.length) {
      this.release(slice);
      return;
    }
    this.release(this.items[at] as Columns);
    this.items[at] = slice;
    this.flip();
  }
}
