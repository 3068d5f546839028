/**
 * One metric's cardinality cap, global over partitions and processors.
 *
 * The admission ledger (store/pane-state.ts) lists, per metric, the tuples
 * admitted as series of their own, at most `cardinalityCap` of them, each
 * scored by the newest pane start written for it. It is written by the same
 * atomic commit as the cells and the offset, so a crash before a commit
 * leaves no admission behind and a replay decides again from the ledger the
 * commit will check; nothing is lost or counted twice.
 *
 * Tuples are routed while a batch is applied, before the commit: the store
 * never holds a refused tuple's cells, only admitted tuples and `__other__`,
 * so every reader (composer, queries, history writer) sees the same answer
 * with no ledger of its own. To route without asking the store per event,
 * each processor keeps a gate per metric: its view of the ledger, shared by
 * its partitions' engines and refreshed by every commit reply. A tuple new to
 * an engine is
 * - a member of the view: its own series (claimed at the commit: the ledger
 *   checks it and raises its score);
 * - not a member while the view shows free places: its own series, claimed
 *   at the commit (speculatively: the distinct tuples claimed in flight never
 *   exceed the free places the view shows);
 * - otherwise: `__other__`.
 * The commit refuses (writes nothing) when a claim finds no place (another
 * processor took it first) or when the batch routed a tuple to `__other__`
 * on a view older than the ledger; the processor then learns the ledger
 * and, if the batch's routing was wrong, applies the batch again on the
 * partition's stored state. Both happen only around changes of the ledger
 * (filling up, places freed by expiry), not in the steady state.
 *
 * Cost: a tuple is checked when the processor meets it first (one claim,
 * shared by its engines through the gate) and then once per `refreshMs` of
 * event time while it stays active, to refresh its score; confirmed tuples
 * cost nothing per event or per commit.
 *
 * Expiry: an admitted tuple keeps its place while it is written. Members
 * whose score is older than the horizon at which the registry frees series
 * (series.ts `collect`, 24 h behind the watermark by default) minus
 * `refreshMs` leave the ledger; the next new tuples take their places.
 */

/** A ledger as a commit reply (or a read) reports it to a gate. */
export interface LedgerView {
  metric: string;
  /** Bumped by every change of membership; 0 for a ledger never written. */
  version: number;
  /** Live members. */
  count: number;
  /** Members added after the version the gate knew, or all of them when `complete`. */
  members: readonly string[];
  complete: boolean;
}

/** One metric's admission work in a commit. */
export interface AdmissionRequest {
  metric: string;
  cap: number;
  /** Members with a score below this leave the ledger first; -Infinity: none. */
  horizon: number;
  /** Ledger version the gate knows: the reply lists members added since. */
  known: number;
  /** Version of the view the batch routed tuples to `__other__` by; undefined when it routed none that way. */
  refusedAt: number | undefined;
  /** [series key, newest pane start] of each tuple to admit or keep. */
  claims: ReadonlyArray<readonly [string, number]>;
}

export type GateDecision = 'member' | 'claim' | 'refuse';

export class AdmissionGate {
  /** Ledger version the view reflects; 0 before the first sync. */
  version = 0;
  /** Live members at that version. */
  count = 0;
  private readonly members = new Set<string>();
  /** Non-members claimed by engines and not settled yet → how many engines hold each (one place per key). */
  private readonly speculative = new Map<string, number>();
  /** Members an engine of this processor claimed → the newest score a commit wrote for them. */
  private readonly confirmed = new Map<string, number>();

  constructor(
    readonly metric: string,
    readonly cap: number,
    /** How often (event time) an admitted tuple's score is refreshed. */
    readonly refreshMs: number,
  ) {}

  /** Whether the view lists `key` (it may still list members that expired since). */
  has(key: string): boolean {
    return this.members.has(key);
  }

  /** Whether the view shows a place no claim holds. */
  get hasRoom(): boolean {
    return this.count + this.speculative.size < this.cap;
  }

  /** Routes a tuple new to an engine; a 'claim' holds a place until `release`. */
  decide(key: string): GateDecision {
    if (this.members.has(key)) {
      return 'member';
    }
    const holders = this.speculative.get(key);
    if (holders !== undefined || this.hasRoom) {
      this.speculative.set(key, (holders ?? 0) + 1);
      return 'claim';
    }
    return 'refuse';
  }

  /** Gives back the places of claims once their commit is done (or their engine dropped). */
  release(keys: readonly string[]): void {
    for (const key of keys) {
      const holders = (this.speculative.get(key) ?? 1) - 1;
      if (holders > 0) {
        this.speculative.set(key, holders);
      } else {
        this.speculative.delete(key);
      }
    }
  }

  /** A commit wrote `key` with `score`: other engines of the processor need not claim it before `score + refreshMs`. */
  confirm(key: string, score: number): void {
    if (score > (this.confirmed.get(key) ?? Number.NEGATIVE_INFINITY)) {
      this.confirmed.set(key, score);
    }
  }

  /** The pane start after which an engine new to a member claims it: at once, unless this processor confirmed it lately. */
  claimAt(key: string): number {
    return (this.confirmed.get(key) ?? Number.NEGATIVE_INFINITY) + this.refreshMs;
  }

  /**
   * Takes in a reply. Replies arrive in the order the store ran them (one
   * connection), so the latest is the newest. Members only grow, except
   * through a complete list: an expired member the view still lists costs at
   * most a refused claim, never a wrong refusal.
   */
  apply(view: LedgerView): void {
    if (view.complete) {
      this.members.clear();
    }
    for (const member of view.members) {
      this.members.add(member);
    }
    if (view.complete) {
      for (const key of this.confirmed.keys()) {
        if (!this.members.has(key)) {
          this.confirmed.delete(key);
        }
      }
    }
    this.version = view.version;
    this.count = view.count;
  }
}
