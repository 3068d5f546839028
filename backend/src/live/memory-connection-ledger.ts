/** In-memory twin of the Redis connection ledger (connection-ledger.ts): same slots, limits and leases. */
import type { ConnectionLedger } from './connection-ledger';

export class MemoryConnectionLedger implements ConnectionLedger {
  /** key → member → lease expiry (epoch ms). */
  private readonly slots = new Map<string, Map<string, number>>();

  constructor(
    readonly leaseMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!(leaseMs > 0)) {
      throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
    }
  }

  /** The key's slots with expired leases dropped (a lease ending exactly now has ended, as in Redis). */
  private live(key: string, now: number): Map<string, number> | undefined {
    const members = this.slots.get(key);
    if (members === undefined) {
      return undefined;
    }
    for (const [member, expiresAt] of members) {
      if (expiresAt <= now) {
        members.delete(member);
      }
    }
    if (members.size === 0) {
      this.slots.delete(key);
      return undefined;
    }
    return members;
  }

  async acquire(key: string, member: string, limit: number): Promise<boolean> {
    const now = this.clock();
    let members = this.live(key, now);
    if (members !== undefined && !members.has(member) && members.size >= limit) {
      return false;
    }
    if (members === undefined) {
      if (limit <= 0) {
        return false;
      }
      members = new Map();
      this.slots.set(key, members);
    }
    members.set(member, now + this.leaseMs);
    return true;
  }

  async release(key: string, member: string): Promise<void> {
    const members = this.slots.get(key);
    if (members !== undefined && members.delete(member) && members.size === 0) {
      this.slots.delete(key);
    }
  }

  async renew(held: ReadonlyMap<string, readonly string[]>): Promise<number> {
    const now = this.clock();
    let recounted = 0;
    for (const [key, list] of held) {
      let members = this.live(key, now);
      if (members === undefined) {
        members = new Map();
        this.slots.set(key, members);
      }
      for (const member of list) {
        recounted += members.has(member) ? 0 : 1;
        members.set(member, now + this.leaseMs);
      }
      if (members.size === 0) {
        this.slots.delete(key);
      }
    }
    return recounted;
  }

  async count(key: string): Promise<number> {
    return this.live(key, this.clock())?.size ?? 0;
  }
}
