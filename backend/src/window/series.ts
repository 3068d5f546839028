/**
 * Series of one metric: each distinct tuple of dimension values gets a small
 * integer id, so panes store ids in typed arrays instead of string keys.
 *
 * Interning walks a trie of Maps, one level per dimension, keyed by the
 * value's label: no key string is built per event. Beyond the cardinality
 * cap, new tuples share the `__other__` series (every dimension `__other__`)
 * and the events routed there are counted.
 *
 * Ids of series not seen since a horizon are freed by `collect` and reused
 * (the store frees a series once its last pane has left the coarse tier,
 * 24 h by default, which also frees its place under the cap); `generation`
 * changes then, so readers that cache per-id data rebuild it.
 */
import type { FieldValue, PanecastEvent } from '../collect/event';
import { TYPE_DIMENSION } from './metric-definition';

/** Dimension value of the overflow series. */
export const OTHER = '__other__';
/** Label of an absent or null dimension value. */
export const MISSING = '';

/** The label of a field value: strings as they are, numbers and booleans as text, absent/null as ''. */
export function labelOf(value: FieldValue | undefined): string {
  if (typeof value === 'string') {
    return value;
  }
  return value === undefined || value === null ? MISSING : String(value);
}

/** The stable text form of a series, used as its key in the hot store: a JSON array of the labels. */
export function encodeSeriesKey(values: readonly string[]): string {
  return JSON.stringify(values);
}

export function decodeSeriesKey(key: string, arity: number): string[] | undefined {
  let values: unknown;
  try {
    values = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || values.length !== arity || !values.every((v) => typeof v === 'string')) {
    return undefined;
  }
  return values as string[];
}

type Trie = Map<string, Trie | number>;

const NO_VALUES: readonly string[] = Object.freeze([]);

export class SeriesRegistry {
  readonly dimensions: readonly string[];
  private readonly readsType: boolean[];
  private readonly root: Trie = new Map();
  private valuesById: (readonly string[] | undefined)[] = [];
  private keysById: (string | undefined)[] = [];
  private lastSeenById = new Float64Array(64);
  private readonly free: number[] = [];
  private live = 0;
  private overflowId = -1;
  /** Events routed to `__other__` because the cap was reached. */
  overflowEvents = 0;
  /** Changes whenever an id is freed (and so may be reused for another tuple). */
  generation = 0;

  constructor(
    dimensions: readonly string[],
    readonly cap: number,
  ) {
    this.dimensions = dimensions;
    this.readsType = dimensions.map((d) => d === TYPE_DIMENSION);
  }

  /** Ids allocated so far (freed ones included): the bound for per-id arrays. */
  get idBound(): number {
    return this.valuesById.length;
  }

  /** Live series, the overflow series included. */
  get liveCount(): number {
    return this.live;
  }

  /** The series of an event, interning it (or routing it to `__other__`). Hot path. */
  idOf(event: PanecastEvent): number {
    const dimensions = this.dimensions;
    const depth = dimensions.length;
    if (depth === 0) {
      const only = this.root.get('');
      return only === undefined ? this.idOfValues(NO_VALUES) : (only as number);
    }
    let level = this.root;
    for (let i = 0; i < depth - 1; i++) {
      const label = this.readsType[i] ? event.type : labelOf(event.fields[dimensions[i] as string]);
      const next = level.get(label);
      if (next === undefined) {
        return this.idOfValues(this.labelsOf(event));
      }
      level = next as Trie;
    }
    const last = depth - 1;
    const id = level.get(this.readsType[last] ? event.type : labelOf(event.fields[dimensions[last] as string]));
    return id === undefined ? this.idOfValues(this.labelsOf(event)) : (id as number);
  }

  private labelsOf(event: PanecastEvent): string[] {
    return this.dimensions.map((d, i) => (this.readsType[i] ? event.type : labelOf(event.fields[d])));
  }

  /** The series of a label tuple, interning it (or routing it to `__other__`). */
  idOfValues(values: readonly string[]): number {
    const depth = values.length;
    let level = this.root;
    for (let i = 0; i < depth - 1; i++) {
      const label = values[i] as string;
      let next = level.get(label) as Trie | undefined;
      if (next === undefined) {
        if (this.live >= this.cap) {
          return this.overflow();
        }
        next = new Map();
        level.set(label, next);
      }
      level = next;
    }
    const leafLabel = depth === 0 ? '' : (values[depth - 1] as string);
    const existing = level.get(leafLabel);
    if (existing !== undefined) {
      return existing as number;
    }
    if (this.live >= this.cap) {
      // An interior level may have been created just above for nothing; collect() prunes it later.
      return this.overflow();
    }
    const id = this.allocate(Object.freeze([...values]));
    level.set(leafLabel, id);
    return id;
  }

  private overflow(): number {
    this.overflowEvents++;
    if (this.overflowId < 0) {
      this.overflowId = this.allocate(Object.freeze(this.dimensions.map(() => OTHER)));
    }
    return this.overflowId;
  }

  private allocate(values: readonly string[]): number {
    const id = this.free.length > 0 ? (this.free.pop() as number) : this.valuesById.length;
    this.valuesById[id] = values;
    this.keysById[id] = undefined;
    if (id >= this.lastSeenById.length) {
      const grown = new Float64Array(this.lastSeenById.length * 2);
      grown.set(this.lastSeenById);
      this.lastSeenById = grown;
    }
    this.lastSeenById[id] = Number.NEGATIVE_INFINITY;
    this.live++;
    return id;
  }

  /** Records that the series has data in the pane starting at `paneStart`. */
  touch(id: number, paneStart: number): void {
    if (paneStart > (this.lastSeenById[id] as number)) {
      this.lastSeenById[id] = paneStart;
    }
  }

  values(id: number): readonly string[] {
    const values = this.valuesById[id];
    if (values === undefined) {
      throw new RangeError(`series id ${id} is not allocated`);
    }
    return values;
  }

  isLive(id: number): boolean {
    return this.valuesById[id] !== undefined;
  }

  key(id: number): string {
    let key = this.keysById[id];
    if (key === undefined) {
      key = encodeSeriesKey(this.values(id));
      this.keysById[id] = key;
    }
    return key;
  }

  /** Whether `id` is the `__other__` series. */
  isOverflow(id: number): boolean {
    return id === this.overflowId;
  }

  /** Frees every series last seen in a pane starting before `horizon`; returns how many. */
  collect(horizon: number): number {
    let freed = 0;
    for (let id = 0; id < this.valuesById.length; id++) {
      const values = this.valuesById[id];
      if (values === undefined || (this.lastSeenById[id] as number) >= horizon) {
        continue;
      }
      if (id === this.overflowId) {
        this.overflowId = -1;
      } else {
        this.unlink(values);
      }
      this.valuesById[id] = undefined;
      this.keysById[id] = undefined;
      this.free.push(id);
      this.live--;
      freed++;
    }
    if (freed > 0) {
      this.generation++;
    }
    return freed;
  }

  private unlink(values: readonly string[]): void {
    const path: Trie[] = [this.root];
    for (let i = 0; i < values.length - 1; i++) {
      const next = (path[i] as Trie).get(values[i] as string) as Trie | undefined;
      if (next === undefined) {
        return;
      }
      path.push(next);
    }
    const depth = values.length;
    (path[path.length - 1] as Trie).delete(depth === 0 ? '' : (values[depth - 1] as string));
    for (let i = path.length - 1; i > 0; i--) {
      if ((path[i] as Trie).size > 0) {
        break;
      }
      (path[i - 1] as Trie).delete(values[i - 1] as string);
    }
  }
}
