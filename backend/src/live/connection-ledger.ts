/**
 * The connection ledger port: how many live connections each token holds,
 * counted across every gateway that shares the ledger, so that
 * `maxConnectionsPerToken` caps a token once per deployment rather than once
 * per gateway process (N gateways must not mean N × the limit).
 *
 * A slot is a (key, member) pair: key = the token's connection key
 * (auth.ts connectionKey), member = `<gateway boot id>/<connection seq>`,
 * unique across gateways and restarts. Every slot has a lease of `leaseMs`:
 * the gateway holding it renews it well within the lease (TokenConnections),
 * so a gateway that dies without releasing (SIGKILL, a lost host) frees its
 * slots when their leases run out instead of holding them forever.
 *
 * Redis is the real one (redis-connection-ledger.ts: one Lua script per
 * acquire, leases on Redis' own clock); the memory twin
 * (memory-connection-ledger.ts) serves the embedded mode and unit tests.
 */

/**
 * The deployed lease of a live connection's slot, renewed every third of it: a dead gateway's slots
 * free within a minute. Longer than the query lease because renewal costs the gateway per connection
 * (one script call each, ~100 ms of its CPU per 10 000 slots): every 20 s that is 0.5 % of a core.
 */
export const CONNECTION_LEASE_MS = 60_000;

export interface ConnectionLedger {
  /** How long a slot stays counted without a renewal. */
  readonly leaseMs: number;
  /**
   * Counts `member` under `key` if the key holds fewer than `limit` live
   * slots; true when counted. Atomic across gateways: two gateways racing for
   * the last slot cannot both get it. Acquiring a member already held renews
   * it and answers true (a retried acquire is not counted twice).
   */
  acquire(key: string, member: string, limit: number): Promise<boolean>;
  /** Frees a slot; freeing one not held (expired, released twice) is harmless. */
  release(key: string, member: string): Promise<void>;
  /**
   * Extends the lease of every slot listed (key → members). A slot whose lease
   * had already run out is counted again, even above the limit: its
   * connection is still open (a gateway paused or cut off from the ledger
   * past the lease, or a ledger that lost its data) and an honest count
   * refuses the next connections until it falls back under the limit.
   * Resolves with the number of slots counted again.
   */
  renew(held: ReadonlyMap<string, readonly string[]>): Promise<number>;
  /** Live slots of a key. */
  count(key: string): Promise<number>;
}
