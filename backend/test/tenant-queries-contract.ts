/**
 * The live bus's cap on distinct queries per tenant (LiveBus.admit), run
 * against the memory twin (unit tests, on a fake clock) and Redis (services
 * tests, in real time with a short lease), so the twin cannot drift.
 */
import type { LiveBus, RegisteredQuery } from '../src/live/live-bus';
import { waitFor } from './support';

/**
 * The query lease every contract bus is made with: short, as the Redis run waits for it in real time,
 * yet long enough that a stalled test process does not see a lease lapse between calls meant to fall inside it.
 */
export const CONTRACT_QUERY_LEASE_MS = 1500;

export interface BusesUnderTest {
  /** A gateway's bus. */
  bus: LiveBus;
  /** Another gateway's bus on the same registry (the memory twin: the same bus, as in one process). */
  other: LiveBus;
  /** Lets `ms` of the buses' time pass (the memory twin's fake clock, or a real wait). */
  elapse(ms: number): Promise<void>;
}

/** A distinct query of `tenant` (the key is what makes it distinct). */
function query(tenant: string, name: string): RegisteredQuery & { tenant: string } {
  return { key: `${tenant}|${name}`, query: { metric: `${tenant}__events`, aggregate: 'count', window: { sizeMs: 1000 } }, tenant };
}

const keys = async (bus: LiveBus): Promise<string[]> => (await bus.activeQueries()).map((q) => q.key).sort();

export function tenantQueriesContract(name: string, make: () => Promise<BusesUnderTest>): void {
  describe(`${name} live bus: distinct queries per tenant`, () => {
    const lease = CONTRACT_QUERY_LEASE_MS;

    it('admits new queries up to the limit, refuses the next, and counts each tenant apart', async () => {
      const { bus, other } = await make();
      expect(await bus.admit(query('acme', 'a'), 2)).toBe(true);
      expect(await other.admit(query('acme', 'b'), 2)).toBe(true);
      expect(await bus.admit(query('acme', 'c'), 2)).toBe(false);
      expect(await other.admit(query('acme', 'c'), 2)).toBe(false);
      // A refused query is not registered: the composer never sees it.
      expect(await keys(bus)).toEqual(['acme|a', 'acme|b']);
      expect(await bus.admit(query('globex', 'a'), 2)).toBe(true);
      expect(await keys(other)).toEqual(['acme|a', 'acme|b', 'globex|a']);
    });

    it('always admits a query already registered, from any gateway, even at the limit', async () => {
      const { bus, other } = await make();
      expect(await bus.admit(query('acme', 'a'), 1)).toBe(true);
      expect(await other.admit(query('acme', 'a'), 1)).toBe(true);
      expect(await bus.admit(query('acme', 'a'), 1)).toBe(true);
      // Registered by a renewal (register) counts as registered too.
      await other.register([query('globex', 'a')]);
      expect(await bus.admit(query('globex', 'a'), 1)).toBe(true);
      expect(await bus.admit(query('globex', 'b'), 1)).toBe(false);
    });

    it('refuses every new query under a limit of 0', async () => {
      const { bus } = await make();
      expect(await bus.admit(query('acme', 'a'), 0)).toBe(false);
      expect(await keys(bus)).toEqual([]);
    });

    it('counts registrations without a tenant for no tenant', async () => {
      const { bus } = await make();
      await bus.register([{ key: 'pinned', query: { metric: 'events', aggregate: 'count', window: { sizeMs: 1000 } } }]);
      expect(await bus.admit(query('acme', 'a'), 1)).toBe(true);
    });

    it('frees room when a lease lapses, while renewed queries keep counting', async () => {
      const { bus, other, elapse } = await make();
      expect(await bus.admit(query('acme', 'a'), 2)).toBe(true);
      expect(await other.admit(query('acme', 'b'), 2)).toBe(true);
      await elapse(lease / 2);
      // Only `a` is still watched: its gateway renews it.
      await bus.register([query('acme', 'a')]);
      await elapse(lease / 2 + 100);
      expect(await keys(bus)).toEqual(['acme|a']);
      expect(await other.admit(query('acme', 'c'), 2)).toBe(true);
      expect(await bus.admit(query('acme', 'd'), 2)).toBe(false);
    });

    it('counts a lapsed query its gateway renews again, even above the limit: it still has watchers', async () => {
      const { bus, elapse } = await make();
      expect(await bus.admit(query('acme', 'a'), 1)).toBe(true);
      await elapse(lease + 100);
      expect(await bus.admit(query('acme', 'b'), 1)).toBe(true);
      await bus.register([query('acme', 'a')]);
      expect(await keys(bus)).toEqual(['acme|a', 'acme|b']);
      expect(await bus.admit(query('acme', 'c'), 1)).toBe(false);
    });

    it("gives a tenant's last slot to one of several gateways racing for it", async () => {
      const { bus, other } = await make();
      const answers = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) => (i % 2 === 0 ? bus : other).admit(query('acme', n), 3)));
      expect(answers.filter(Boolean)).toHaveLength(3);
      expect(await keys(bus)).toHaveLength(3);
    });

    it('announces an admitted query once, as a registration', async () => {
      const { bus, other, elapse } = await make();
      const announced: string[] = [];
      await other.onRegistered((registered) => announced.push(registered.key));
      expect(await bus.admit(query('acme', 'a'), 1)).toBe(true);
      expect(await bus.admit(query('acme', 'a'), 1)).toBe(true);
      expect(await bus.admit(query('acme', 'b'), 1)).toBe(false);
      await waitFor(() => (announced.length > 0 ? true : undefined), 'announcement', 2000);
      await elapse(100);
      expect(announced).toEqual(['acme|a']);
    });
  });
}
