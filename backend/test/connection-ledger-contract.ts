/**
 * The behaviour every connection ledger must have, run against the memory
 * twin (unit tests, on a fake clock) and Redis (services tests, in real time
 * with a short lease), so the twin cannot drift.
 */
import type { ConnectionLedger } from '../src/live/connection-ledger';

/**
 * The lease every contract ledger is made with: short, as the Redis run waits for it in real time, yet
 * long enough that a stalled test process does not see a lease lapse between calls meant to fall inside it.
 */
export const CONTRACT_LEASE_MS = 1500;

export interface LedgerUnderTest {
  ledger: ConnectionLedger;
  /** Lets `ms` of the ledger's time pass (the memory twin's fake clock, or a real wait). */
  elapse(ms: number): Promise<void>;
}

export function connectionLedgerContract(name: string, make: () => Promise<LedgerUnderTest>): void {
  describe(`${name} connection ledger`, () => {
    const lease = CONTRACT_LEASE_MS;

    it('counts up to the limit per key, refuses the next, and counts other keys apart', async () => {
      const { ledger } = await make();
      expect(ledger.leaseMs).toBe(lease);
      for (const member of ['gw-a/1', 'gw-b/1', 'gw-a/2']) {
        expect(await ledger.acquire('jti\u0000acme\u0000t1', member, 3)).toBe(true);
      }
      expect(await ledger.acquire('jti\u0000acme\u0000t1', 'gw-c/1', 3)).toBe(false);
      expect(await ledger.count('jti\u0000acme\u0000t1')).toBe(3);
      // Same token id, another tenant: another key. Keys are arbitrary text.
      expect(await ledger.acquire('jti\u0000globex\u0000t1', 'gw-c/1', 3)).toBe(true);
      expect(await ledger.acquire('sub\u0000acme\u0000Zürich "∆" 🚀', 'gw-c/2', 3)).toBe(true);
      expect(await ledger.count('jti\u0000globex\u0000t1')).toBe(1);
      expect(await ledger.count('never-seen')).toBe(0);
    });

    it('refuses everything under a limit of 0', async () => {
      const { ledger } = await make();
      expect(await ledger.acquire('k0', 'gw/1', 0)).toBe(false);
      expect(await ledger.count('k0')).toBe(0);
    });

    it('frees a slot on release; releasing twice or a slot never held is harmless', async () => {
      const { ledger } = await make();
      expect(await ledger.acquire('k1', 'gw-a/1', 2)).toBe(true);
      expect(await ledger.acquire('k1', 'gw-b/1', 2)).toBe(true);
      expect(await ledger.acquire('k1', 'gw-b/2', 2)).toBe(false);
      await ledger.release('k1', 'gw-a/1');
      await ledger.release('k1', 'gw-a/1');
      await ledger.release('k1', 'gw-z/9');
      await ledger.release('no-such-key', 'gw-a/1');
      expect(await ledger.count('k1')).toBe(1);
      expect(await ledger.acquire('k1', 'gw-b/2', 2)).toBe(true);
      expect(await ledger.count('k1')).toBe(2);
    });

    it('answers a repeated acquire of a held slot with true without counting it twice, even at the limit', async () => {
      const { ledger } = await make();
      expect(await ledger.acquire('k2', 'gw-a/1', 2)).toBe(true);
      expect(await ledger.acquire('k2', 'gw-a/2', 2)).toBe(true);
      expect(await ledger.acquire('k2', 'gw-a/2', 2)).toBe(true);
      expect(await ledger.count('k2')).toBe(2);
      expect(await ledger.acquire('k2', 'gw-a/3', 2)).toBe(false);
    });

    it('grants exactly the limit to acquires racing for the same key', async () => {
      const { ledger } = await make();
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => ledger.acquire('k3', `gw-${i % 3}/${i}`, 5)));
      expect(answers.filter(Boolean)).toHaveLength(5);
      expect(await ledger.count('k3')).toBe(5);
    });

    it('drops slots whose lease ran out, so a dead holder frees its slots', async () => {
      const { ledger, elapse } = await make();
      expect(await ledger.acquire('k4', 'dead/1', 2)).toBe(true);
      expect(await ledger.acquire('k4', 'dead/2', 2)).toBe(true);
      expect(await ledger.acquire('k4', 'alive/1', 2)).toBe(false);
      await elapse(lease + 150);
      expect(await ledger.count('k4')).toBe(0);
      expect(await ledger.acquire('k4', 'alive/1', 2)).toBe(true);
      expect(await ledger.acquire('k4', 'alive/2', 2)).toBe(true);
      expect(await ledger.acquire('k4', 'alive/3', 2)).toBe(false);
    });

    it('keeps renewed slots past their first lease, and only those', async () => {
      const { ledger, elapse } = await make();
      expect(await ledger.acquire('k5', 'gw-a/1', 3)).toBe(true);
      expect(await ledger.acquire('k5', 'gw-b/1', 3)).toBe(true);
      expect(await ledger.acquire('k6', 'gw-a/2', 3)).toBe(true);
      // gw-a renews what it holds; gw-b does not (it died).
      for (let i = 0; i < 3; i++) {
        await elapse(lease / 2);
        expect(await ledger.renew(new Map([['k5', ['gw-a/1']], ['k6', ['gw-a/2']], ['k7', []]]))).toBe(0);
      }
      expect(await ledger.count('k5')).toBe(1);
      expect(await ledger.count('k6')).toBe(1);
      expect(await ledger.count('k7')).toBe(0);
      await elapse(lease + 150);
      expect(await ledger.count('k5')).toBe(0);
    });

    it('counts a lapsed slot again on renewal, above the limit if need be, and refuses new slots until under it', async () => {
      const { ledger, elapse } = await make();
      expect(await ledger.acquire('k8', 'paused/1', 1)).toBe(true);
      await elapse(lease + 150);
      // The holder was paused past its lease: another gateway took the freed slot.
      expect(await ledger.acquire('k8', 'other/1', 1)).toBe(true);
      // The paused holder's connection is still open: its renewal counts it again.
      expect(await ledger.renew(new Map([['k8', ['paused/1']]]))).toBe(1);
      expect(await ledger.count('k8')).toBe(2);
      expect(await ledger.acquire('k8', 'other/2', 1)).toBe(false);
      await ledger.release('k8', 'other/1');
      await ledger.release('k8', 'paused/1');
      expect(await ledger.acquire('k8', 'other/2', 1)).toBe(true);
    });
  });
}
