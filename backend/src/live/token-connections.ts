/**
 * A gateway's side of the connection ledger: admits or refuses a connection
 * of a token against `maxConnectionsPerToken` counted across every gateway
 * (connection-ledger.ts), keeps the slots this gateway holds and renews their
 * leases every third of the lease, so one missed renewal never drops a slot.
 *
 * A connection may also count under its subject (`subjectKey`: every token
 * minted with one read key has the same subject), against `subjectLimit`:
 * minting a token per connection then gets a key holder no more connections
 * than that. The two slots are taken one after the other (token, then
 * subject) with the same member; a refusal of the second frees the first, so
 * no connection is ever admitted over either limit. Racing hellos at a limit
 * may meanwhile see the first slot taken and be refused too: on the safe side.
 *
 * Every admission answers within `answerTimeoutMs`: a ledger that does not
 * answer in time (Redis unreachable) refuses the connection as `unavailable`
 * rather than admitting it uncounted, and a slot whose grant arrives after
 * that, or after the gateway closed, is released at once, so no answer ever
 * leaves a slot behind.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionLedger } from './connection-ledger';

export type Admission =
  | { admitted: true; /** Frees the slot(s); idempotent. */ release(): void }
  | {
      admitted: false;
      /** `limit`: the token's limit; `subject-limit`: its subject's (the read key's). */
      reason: 'limit' | 'subject-limit' | 'unavailable';
    };

export interface TokenConnectionsOptions {
  /** The gateway's instance id; a random boot id is appended (two processes may share an id). */
  instanceId: string;
  limit: number;
  /** Connections of one subject across all its tokens; undefined: subjects are not counted. */
  subjectLimit?: number;
  /** Longest wait for the ledger's answer before refusing as unavailable. */
  answerTimeoutMs: number;
}

/**
 * A renewal cycle (a third of the lease) is spread over this many slices: renewing 10 000 slots at
 * once kept Redis busy ~120 ms (a script call each), holding every Pub/Sub delivery behind it.
 */
const RENEW_SLICES = 20;

const FULL: Admission = Object.freeze({ admitted: false, reason: 'limit' });
const SUBJECT_FULL: Admission = Object.freeze({ admitted: false, reason: 'subject-limit' });
const UNAVAILABLE: Admission = Object.freeze({ admitted: false, reason: 'unavailable' });

export class TokenConnections {
  /** Prefix of every member this gateway adds: unique per process start, so restarts never collide. */
  private readonly owner: string;
  private seq = 0;
  /** key → members this gateway holds. */
  private readonly held = new Map<string, Set<string>>();
  /** Releases in flight, awaited by close(). */
  private readonly releasing = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  /** Keys in a renewal slice in flight → that slice (a release of the key waits for it). */
  private readonly renewing = new Map<string, Promise<void>>();
  /** Keys of the current renewal cycle, and how many of them were renewed. */
  private cycle: string[] = [];
  private cursor = 0;
  /** The ledger failed and has not answered since: warn once per outage, not once per connection. */
  private failing = false;
  private closed = false;

  constructor(
    private readonly ledger: ConnectionLedger,
    private readonly options: TokenConnectionsOptions,
  ) {
    this.owner = `${options.instanceId}.${randomBytes(6).toString('hex')}`;
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(ledger.leaseMs / 3 / RENEW_SLICES)));
    this.timer.unref();
  }

  /** Slots held by this gateway (a connection counted under its subject too holds two). */
  get size(): number {
    let size = 0;
    for (const members of this.held.values()) {
      size += members.size;
    }
    return size;
  }

  /**
   * Admits a connection of the token whose connection key is `key` (auth.ts connectionKey) and, when
   * subjects are counted, whose subject key is `subjectKey` (auth.ts subjectKey).
   */
  acquire(key: string, subjectKey?: string): Promise<Admission> {
    if (this.closed) {
      return Promise.resolve(UNAVAILABLE);
    }
    const member = `${this.owner}/${++this.seq}`;
    const limits: Array<[string, number, Admission]> = [[key, this.options.limit, FULL]];
    if (subjectKey !== undefined && this.options.subjectLimit !== undefined) {
      limits.push([subjectKey, this.options.subjectLimit, SUBJECT_FULL]);
    }
    return new Promise<Admission>((resolve) => {
      let answered = false;
      const answer = (admission: Admission) => {
        if (!answered) {
          answered = true;
          clearTimeout(timer);
          resolve(admission);
        }
      };
      const timer = setTimeout(() => {
        // Timers run before the loop polls sockets: on a busy gateway (a reconnect storm) the answer
        // may have arrived and only wait to be read. Read what is there first (setImmediate runs
        // after the poll), so the timeout measures the ledger, not this gateway's own backlog.
        setImmediate(() => {
          if (!answered) {
            this.failed(new Error(`no answer within ${this.options.answerTimeoutMs} ms`));
            answer(UNAVAILABLE);
          }
        });
      }, this.options.answerTimeoutMs);
      timer.unref();
      this.grant(limits, member).then(
        (refusal) => {
          this.failing = false;
          const keys = limits.map(([slotKey]) => slotKey);
          if (refusal !== undefined) {
            answer(refusal);
          } else if (answered || this.closed) {
            // Granted after we gave up (or shut down): nobody holds these slots, free them now.
            for (const slotKey of keys) {
              this.track(this.ledger.release(slotKey, member));
            }
          } else {
            for (const slotKey of keys) {
              this.hold(slotKey, member);
            }
            answer({ admitted: true, release: once(() => keys.forEach((slotKey) => this.release(slotKey, member))) });
          }
        },
        (error: Error) => {
          this.failed(error);
          answer(UNAVAILABLE);
        },
      );
    });
  }

  /**
   * Takes `member`'s slot under each key in turn; on a refusal (resolves with it) or a failure
   * (rejects), frees the slots already taken, so only a full grant leaves slots behind.
   */
  private async grant(limits: ReadonlyArray<readonly [string, number, Admission]>, member: string): Promise<Admission | undefined> {
    const taken: string[] = [];
    try {
      for (const [key, limit, refusal] of limits) {
        if (!(await this.ledger.acquire(key, member, limit))) {
          return refusal;
        }
        taken.push(key);
      }
      taken.length = 0;
      return undefined;
    } finally {
      for (const key of taken) {
        this.track(this.ledger.release(key, member));
      }
    }
  }

  private hold(key: string, member: string): void {
    let members = this.held.get(key);
    if (members === undefined) {
      members = new Set();
      this.held.set(key, members);
    }
    members.add(member);
  }

  private release(key: string, member: string): void {
    const members = this.held.get(key);
    if (members === undefined || !members.delete(member)) {
      return;
    }
    if (members.size === 0) {
      this.held.delete(key);
    }
    // A renewal in flight may still carry this member and would count it again (renewal re-adds
    // lapsed slots): free it only once that renewal is done. A release that fails (ledger
    // unreachable) leaves the slot to its lease: it is no longer renewed.
    const renewal = this.renewing.get(key);
    this.track(renewal === undefined ? this.ledger.release(key, member) : renewal.then(() => this.ledger.release(key, member)));
  }

  private track(release: Promise<void>): void {
    const tracked = release.catch((error: Error) => this.failed(error)).finally(() => this.releasing.delete(tracked));
    this.releasing.add(tracked);
  }

  private failed(error: Error): void {
    if (!this.failing) {
      this.failing = true;
      console.warn(`token connections: the connection ledger failed (${error.message}); new connections of tokens are refused until it answers`);
    }
  }

  /**
   * Renews the next slice of the held slots' leases (1/RENEW_SLICES of the keys held when the cycle
   * began), so each slot is renewed once per third of the lease. A slice does not wait for the one
   * before: on a gateway too busy to read the replies soon, renewal keeps its pace and no lease lapses
   * while the process lives. Never rejects.
   */
  renew(): Promise<void> {
    if (this.cursor >= this.cycle.length) {
      this.cycle = [...this.held.keys()];
      this.cursor = 0;
    }
    const slice = this.cycle.slice(this.cursor, this.cursor + Math.ceil(this.cycle.length / RENEW_SLICES));
    this.cursor += slice.length;
    const snapshot = new Map<string, readonly string[]>();
    for (const key of slice) {
      const members = this.held.get(key);
      if (members !== undefined) {
        snapshot.set(key, [...members]);
      }
    }
    if (snapshot.size === 0) {
      return Promise.resolve();
    }
    const settled: Promise<void> = this.ledger
      .renew(snapshot)
      .then(
        (recounted) => {
          this.failing = false;
          if (recounted > 0) {
            console.warn(`token connections: ${recounted} connection slot(s) had outlived their lease and were counted again`);
          }
        },
        (error: Error) => this.failed(error),
      )
      .finally(() => {
        for (const key of snapshot.keys()) {
          if (this.renewing.get(key) === settled) {
            this.renewing.delete(key);
          }
        }
      });
    for (const key of snapshot.keys()) {
      this.renewing.set(key, settled);
    }
    return settled;
  }

  /**
   * Stops renewing and frees every slot still held (a clean shutdown frees them at once, not after the
   * lease). Waits for the ledger at most `answerTimeoutMs`: a hung ledger must not hang the shutdown,
   * and the leases free whatever it did not hear.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const [key, members] of [...this.held]) {
      for (const member of [...members]) {
        this.release(key, member);
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.releasing]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.answerTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}

function once(run: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      run();
    }
  };
}
