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
 *
 * The cap here bounds one engine's memory. With an admission gate (a
 * processor's engines; admission.ts), the cap is also global: a tuple new to
 * the registry gets a series only if the gate admits or claims it, its
 * series is claimed in the ledger at the next commit (and again once per
 * `refreshMs` of event time it stays active), and a refused tuple's leaf
 * routes to `__other__` (-1 in the trie) until the ledger changes.
 */
import { DEFAULT_LIMITS } from '@panecast/protocol';
import type { FieldValue, PanecastEvent } from '../collect/event';
import type { AdmissionGate, AdmissionRequest } from './admission';
import { TYPE_DIMENSION } from './metric-definition';
import { encodeSeriesKey, OTHER } from './series-key';
import { leafOf, setLeaf, unlink, type Trie } from './series-trie';

export { decodeSeriesKey, encodeSeriesKey, MISSING, OTHER } from './series-key';

// Here, not in series-key.ts: the hot path calls it per dimension per event, and a call
// through another module's exports cost the engine measurably (bench A/B).
/** The label of a field value: strings as they are, numbers and booleans as text, absent/null as '' (MISSING). */
export function labelOf(value: FieldValue | undefined): string {
  if (typeof value === 'string') {
    return value;
  }
  return value === undefined || value === null ? '' : String(value);
}

const NO_VALUES: readonly string[] = Object.freeze([]);
/**
 * Longest dimension value that gets a series of its own: what a filter can name (the live
 * channel's and the read routes' limit). Field strings are otherwise unbounded (up to a body), and
 * a series' labels are stored again in every pane it touches (Redis fields, hot-store keys, frames):
 * one sender repeating a 1 MB value put a megabyte a second into Redis. Longer tuples go to `__other__`.
 */
const MAX_LABEL_CHARS = DEFAULT_LIMITS.maxValueLength;

function hasLongLabel(values: readonly string[]): boolean {
  return values.some((value) => value.length > MAX_LABEL_CHARS);
}
/** Leaf of a tuple whose events go to `__other__`: refused by the gate, or closed (see `settleLoaded`). */
const REROUTED = -1;

function isOtherTuple(values: readonly string[]): boolean {
  return values.length > 0 && values.every((value) => value === OTHER);
}

export class SeriesRegistry {
  readonly dimensions: readonly string[];
  private readonly readsType: boolean[];
  private readonly root: Trie = new Map();
  private valuesById: (readonly string[] | undefined)[] = [];
  private keysById: (string | undefined)[] = [];
  private lastSeenById = new Float64Array(64);
  /** A touch of a pane after this claims the series (+Infinity: queued, in flight, or no gate). */
  private claimAt = new Float64Array(64);
  private readonly free: number[] = [];
  /** Live series, not counting `__other__`: the overflow series takes no place under the cap. */
  private live = 0;
  private overflowId = -1;
  /** Series to claim at the next commit; then the claims of the commit in flight. */
  private claims: number[] = [];
  private inFlight: { ids: number[]; scores: number[] } = { ids: [], scores: [] };
  /** Non-members this engine claimed since its last commit (the gate's places it holds). */
  private speculative: string[] = [];
  /** Refused tuples by key (their leaves are REROUTED), and series closed by key. */
  private readonly aliases = new Map<string, readonly string[]>();
  private readonly closed = new Map<string, number>();
  /** Gate version the aliases and closed series were decided at. */
  private decidedAt = 0;
  /** Whether this batch routed an event to `__other__` by the gate, and whether one of those tuples has no alias. */
  private refused = false;
  private refusedUnaliased = false;
  /** The horizon of the last `collect`. */
  private freedBefore = Number.NEGATIVE_INFINITY;
  /** Events routed to `__other__`: beyond the cap, refused by the gate, labelled `__other__`, or with a value too long. */
  overflowEvents = 0;
  /** Changes whenever an id is freed (and so may be reused for another tuple). */
  generation = 0;

  constructor(
    dimensions: readonly string[],
    readonly cap: number,
    readonly gate?: AdmissionGate,
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
    return this.live + (this.overflowId >= 0 ? 1 : 0);
  }

  /** The series of an event, interning it (or routing it to `__other__`). Hot path. */
  idOf(event: PanecastEvent): number {
    const dimensions = this.dimensions;
    const depth = dimensions.length;
    if (depth === 0) {
      const only = this.root.get('') as number | undefined;
      return only !== undefined && only >= 0 ? only : this.intern(NO_VALUES, true);
    }
    let level = this.root;
    for (let i = 0; i < depth - 1; i++) {
      const label = this.readsType[i] ? event.type : labelOf(event.fields[dimensions[i] as string]);
      const next = level.get(label);
      if (next === undefined) {
        return this.intern(this.labelsOf(event), true);
      }
      level = next as Trie;
    }
    const last = depth - 1;
    const id = level.get(this.readsType[last] ? event.type : labelOf(event.fields[dimensions[last] as string])) as number | undefined;
    // One cold call for a new tuple and for a rerouted one (intern finds its leaf): a second call
    // site here cost the count-only engine ~10 % (bench A/B).
    return id !== undefined && id >= 0 ? id : this.intern(this.labelsOf(event), true);
  }

  private labelsOf(event: PanecastEvent): string[] {
    return this.dimensions.map((d, i) => (this.readsType[i] ? event.type : labelOf(event.fields[d])));
  }

  /** The series of a label tuple (a stored partial's), interning it (or routing it to `__other__`). */
  idOfValues(values: readonly string[]): number {
    return this.intern(values, false);
  }

  private intern(values: readonly string[], fromEvent: boolean): number {
    const existing = leafOf(this.root, values);
    if (existing !== undefined) {
      return existing >= 0 ? existing : this.overflow(fromEvent, true);
    }
    const gate = this.gate;
    // A stored `__other__` partial is the overflow series, not a tuple of its own; nor is a value no filter can name.
    if (isOtherTuple(values) || (fromEvent && hasLongLabel(values)) || (this.live >= this.cap && (gate === undefined || !fromEvent))) {
      return this.overflow(fromEvent, false);
    }
    let key: string | undefined;
    if (gate !== undefined && fromEvent) {
      key = encodeSeriesKey(values);
      // Full here, a member still gets its series (the ledger bounds those); anything else is a
      // refusal like the gate's, so the commit checks it like one.
      const decision = this.live >= this.cap && !gate.has(key) ? 'refuse' : gate.decide(key);
      if (decision === 'refuse') {
        this.refuse(values, key);
        return this.overflow(true, true);
      }
      if (decision === 'claim') {
        this.speculative.push(key);
      }
    }
    const claimAt = gate === undefined ? Number.POSITIVE_INFINITY : key === undefined ? Number.NEGATIVE_INFINITY : gate.claimAt(key);
    const id = this.allocate(Object.freeze([...values]), claimAt);
    this.keysById[id] = key;
    this.live++;
    setLeaf(this.root, values, id);
    return id;
  }

  /** Routes a refused tuple's later events straight to `__other__`, for as many tuples as the cap (memory). */
  private refuse(values: readonly string[], key: string): void {
    if (this.aliases.size < this.cap) {
      setLeaf(this.root, values, REROUTED);
      this.aliases.set(key, values);
    } else {
      this.refusedUnaliased = true;
    }
  }

  private overflow(countEvent: boolean, byGate: boolean): number {
    if (countEvent) {
      this.overflowEvents++;
      if (byGate) {
        this.refused = true;
      }
    }
    if (this.overflowId < 0) {
      this.overflowId = this.allocate(Object.freeze(this.dimensions.map(() => OTHER)), Number.POSITIVE_INFINITY);
    }
    return this.overflowId;
  }

  private allocate(values: readonly string[], claimAt: number): number {
    const id = this.free.length > 0 ? (this.free.pop() as number) : this.valuesById.length;
    this.valuesById[id] = values;
    this.keysById[id] = undefined;
    if (id >= this.lastSeenById.length) {
      const grown = new Float64Array(this.lastSeenById.length * 2);
      grown.set(this.lastSeenById);
      this.lastSeenById = grown;
      const claims = new Float64Array(grown.length);
      claims.set(this.claimAt);
      this.claimAt = claims;
    }
    this.lastSeenById[id] = Number.NEGATIVE_INFINITY;
    this.claimAt[id] = claimAt;
    return id;
  }

  /** Records that the series has data in the pane starting at `paneStart` (and queues its claim when due). Hot path. */
  touch(id: number, paneStart: number): void {
    if (paneStart > (this.lastSeenById[id] as number)) {
      this.lastSeenById[id] = paneStart;
      if (paneStart > (this.claimAt[id] as number)) {
        // Out of line: a larger touch() stops being inlined into the engine's loop (measured).
        this.queueClaim(id);
      }
    }
  }

  private queueClaim(id: number): void {
    this.claimAt[id] = Number.POSITIVE_INFINITY;
    this.claims.push(id);
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
    this.freedBefore = Math.max(this.freedBefore, horizon);
    let freed = 0;
    for (let id = 0; id < this.valuesById.length; id++) {
      const values = this.valuesById[id];
      if (values === undefined || (this.lastSeenById[id] as number) >= horizon) {
        continue;
      }
      if (id === this.overflowId) {
        this.overflowId = -1;
      } else {
        if (this.closed.size > 0) {
          this.closed.delete(this.key(id));
        }
        unlink(this.root, values);
        this.live--;
      }
      this.valuesById[id] = undefined;
      this.keysById[id] = undefined;
      this.free.push(id);
      freed++;
    }
    if (freed > 0) {
      this.generation++;
    }
    return freed;
  }

  // ── Admission (only with a gate) ──

  /** Before a batch: if the ledger changed since the refusals were decided, or has room now, decide them again. */
  beginBatch(): void {
    this.refused = false;
    this.refusedUnaliased = false;
    const gate = this.gate;
    if (gate === undefined || (gate.version === this.decidedAt && !(gate.hasRoom && this.aliases.size + this.closed.size > 0))) {
      return;
    }
    for (const values of this.aliases.values()) {
      unlink(this.root, values);
    }
    this.aliases.clear();
    for (const [key, id] of this.closed) {
      const decision = gate.decide(key);
      if (decision !== 'refuse') {
        if (decision === 'claim') {
          this.speculative.push(key);
        }
        this.closed.delete(key);
        // Claimed now, not at its next new pane: its next events may land in a pane it already has.
        this.claimAt[id] = Number.POSITIVE_INFINITY;
        this.claims.push(id);
        setLeaf(this.root, this.values(id), id);
      }
    }
    this.decidedAt = gate.version;
  }

  /**
   * After a load (restart, reassignment): loaded series were admitted when
   * they were written, so each is claimed again only at its first new pane;
   * one the gate knows is no longer a member of a full ledger is closed: its
   * stored cells stay its own, its new events go to `__other__`.
   */
  settleLoaded(): void {
    const gate = this.gate;
    if (gate === undefined) {
      return;
    }
    for (const id of this.claims) {
      this.claimAt[id] = this.lastSeenById[id] as number;
      const key = this.key(id);
      if (gate.version > 0 && gate.count >= gate.cap && !gate.has(key)) {
        this.claimAt[id] = Number.POSITIVE_INFINITY;
        this.closed.set(key, id);
        setLeaf(this.root, this.values(id), REROUTED);
      }
    }
    this.claims = [];
    this.decidedAt = gate.version;
  }

  /** This engine's admission work for the commit, or undefined when there is none. */
  drainClaims(): AdmissionRequest | undefined {
    const gate = this.gate;
    if (gate === undefined || (this.claims.length === 0 && !this.refused && this.inFlight.ids.length === 0)) {
      return undefined;
    }
    // A retried commit (see Processor) sends the claims in flight again.
    const ids = this.inFlight.ids.concat(this.claims.filter((id) => this.isLive(id)));
    const scores = this.inFlight.scores.concat(ids.slice(this.inFlight.ids.length).map((id) => this.lastSeenById[id] as number));
    this.claims = [];
    this.inFlight = { ids, scores };
    return {
      metric: gate.metric,
      cap: gate.cap,
      horizon: this.freedBefore - gate.refreshMs,
      known: gate.version,
      refusedAt: this.refused ? this.decidedAt : undefined,
      claims: ids.map((id, i) => [this.key(id), scores[i] as number] as const),
    };
  }

  /** The commit went through: claimed series are confirmed until `refreshMs` past the pane they were claimed at. */
  settleClaims(): void {
    const { ids, scores } = this.inFlight;
    const refresh = this.gate?.refreshMs ?? 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      this.gate?.confirm(this.key(id), scores[i] as number);
      this.claimAt[id] = (scores[i] as number) + refresh;
      if ((this.lastSeenById[id] as number) > (this.claimAt[id] as number)) {
        this.claimAt[id] = Number.POSITIVE_INFINITY;
        this.claims.push(id);
      }
    }
    this.inFlight = { ids: [], scores: [] };
    this.releaseClaims();
  }

  /** Gives the gate back the places this engine's claims held (after a commit, or when the engine is dropped). */
  releaseClaims(): void {
    this.gate?.release(this.speculative);
    this.speculative = [];
  }

  /**
   * A commit was refused as stale: `members` joined the ledger since this
   * batch's refusals were decided. True when the batch may have routed one
   * of them to `__other__` (it must be applied again); otherwise its
   * refusals stand at `version`.
   */
  settleStale(members: readonly string[], version: number): boolean {
    if (!this.refused) {
      return false;
    }
    if (members.length > 0 && (this.refusedUnaliased || members.some((key) => this.aliases.has(key) || this.closed.has(key)))) {
      return true;
    }
    this.decidedAt = version;
    return false;
  }
}
