/**
 * A connection ledger for tests that decides only when told: a memory twin
 * behind a gate that holds acquire (and, separately, renew) calls until the
 * test opens it, or fails them like an unreachable Redis.
 */
import type { ConnectionLedger } from '../../src/live/connection-ledger';
import { MemoryConnectionLedger } from '../../src/live/memory-connection-ledger';

type Call = 'acquire' | 'renew';

export class GatedLedger implements ConnectionLedger {
  /** Calls of a gated kind wait here until opened. */
  private readonly waiting: Record<Call, Array<() => void>> = { acquire: [], renew: [] };
  private readonly gated = new Set<Call>();
  /** Every acquire fails with this while set. */
  failure: Error | undefined;
  readonly members: string[] = [];

  /** `inner`: the slots behind the gate, which several gated ledgers (gateways) may share. */
  constructor(readonly inner: MemoryConnectionLedger = new MemoryConnectionLedger(60_000)) {}

  get leaseMs(): number {
    return this.inner.leaseMs;
  }

  /** Holds calls of this kind from now on. */
  close(call: Call = 'acquire'): void {
    this.gated.add(call);
  }

  /** Lets held calls of this kind through, and later ones straight through. */
  open(call: Call = 'acquire'): void {
    this.gated.delete(call);
    this.waiting[call].splice(0).forEach((go) => go());
  }

  held(call: Call = 'acquire'): number {
    return this.waiting[call].length;
  }

  private pass(call: Call): Promise<void> {
    if (!this.gated.has(call)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting[call].push(resolve));
  }

  async acquire(key: string, member: string, limit: number): Promise<boolean> {
    this.members.push(member);
    await this.pass('acquire');
    if (this.failure !== undefined) {
      throw this.failure;
    }
    return this.inner.acquire(key, member, limit);
  }

  release(key: string, member: string): Promise<void> {
    return this.inner.release(key, member);
  }

  async renew(held: ReadonlyMap<string, readonly string[]>): Promise<number> {
    await this.pass('renew');
    return this.inner.renew(held);
  }

  count(key: string): Promise<number> {
    return this.inner.count(key);
  }
}
