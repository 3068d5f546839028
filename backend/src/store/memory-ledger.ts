/**
 * The memory twin's admission ledgers (window/admission.ts): the rules of
 * the Redis commit script's admission part (redis-pane-state.ts), step for
 * step, so the contract tests hold both to the same behaviour.
 */
import type { AdmissionRequest, LedgerView } from '../window';
import { LEDGER_IDLE_EXPIRY_MS, type CommitOutcome } from './pane-state';

interface Ledger {
  /** series key → newest pane start written for it. */
  readonly scores: Map<string, number>;
  /** series key → version that admitted it. */
  readonly admittedAt: Map<string, number>;
  version: number;
  touchedAt: number;
}

interface Checked {
  readonly ledger: Ledger;
  readonly request: AdmissionRequest;
  /** Claimed keys that are not members yet. */
  readonly fresh: string[];
  readonly conflict: boolean;
  readonly stale: boolean;
}

export class MemoryLedgers {
  private readonly ledgers = new Map<string, Ledger>();

  constructor(private readonly clock: () => number) {}

  private ledger(metric: string): Ledger {
    const now = this.clock();
    let ledger = this.ledgers.get(metric);
    // Like the Redis keys' idle expiry: an untouched ledger is gone, version and all.
    if (ledger === undefined || now - ledger.touchedAt >= LEDGER_IDLE_EXPIRY_MS) {
      ledger = { scores: new Map(), admittedAt: new Map(), version: 0, touchedAt: now };
      this.ledgers.set(metric, ledger);
    }
    return ledger;
  }

  /**
   * A commit's admission step. Members below each request's horizon leave
   * first (kept even when the commit is refused: they are expired either
   * way). Then every claim must find its tuple a member or a free place, and
   * the refusals must rest on the current version; only then are the claims
   * written (new members admitted, scores raised).
   */
  admit(requests: readonly AdmissionRequest[]): CommitOutcome {
    const checked: Checked[] = requests.map((request) => {
      const ledger = this.ledger(request.metric);
      const gone = [...ledger.scores].filter(([, score]) => score < request.horizon).map(([key]) => key);
      if (gone.length > 0) {
        for (const key of gone) {
          ledger.scores.delete(key);
          ledger.admittedAt.delete(key);
        }
        ledger.version++;
        ledger.touchedAt = this.clock();
      }
      const fresh = [...new Set(request.claims.map(([key]) => key))].filter((key) => !ledger.scores.has(key));
      const conflict = ledger.scores.size + fresh.length > request.cap;
      const stale = request.refusedAt !== undefined && request.refusedAt !== ledger.version;
      return { ledger, request, fresh, conflict, stale };
    });
    const status = checked.some((c) => c.conflict) ? 'conflict' : checked.some((c) => c.stale) ? 'stale' : 'committed';
    if (status === 'committed') {
      for (const { ledger, request, fresh } of checked) {
        if (fresh.length > 0) {
          ledger.version++;
          for (const key of fresh) {
            ledger.admittedAt.set(key, ledger.version);
          }
        }
        for (const [key, score] of request.claims) {
          ledger.scores.set(key, Math.max(score, ledger.scores.get(key) ?? Number.NEGATIVE_INFINITY));
        }
        if (request.claims.length > 0) {
          ledger.touchedAt = this.clock();
        }
      }
    }
    return {
      status,
      ledgers: checked.map(({ ledger, request, conflict, stale }) => {
        const since = stale && status === 'stale' ? Math.min(request.known, request.refusedAt as number) : request.known;
        return viewOf(request.metric, ledger, conflict, since);
      }),
    };
  }

  read(metric: string): LedgerView {
    return viewOf(metric, this.ledger(metric), true, 0);
  }
}

/** The whole ledger when asked, when the gate knows nothing or a newer ledger than this one; else the members added since `since`. */
function viewOf(metric: string, ledger: Ledger, whole: boolean, since: number): LedgerView {
  const complete = whole || since === 0 || ledger.version < since;
  const members = complete ? [...ledger.scores.keys()] : ledger.version === since ? [] : [...ledger.admittedAt].filter(([, at]) => at > since).map(([key]) => key);
  return { metric, version: ledger.version, count: ledger.scores.size, members, complete };
}
