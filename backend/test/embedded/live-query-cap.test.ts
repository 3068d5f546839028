/**
 * The cap on distinct live queries per tenant (PANECAST_MAX_QUERIES_PER_TENANT):
 * a subscribe that would give its tenant one distinct query too many is
 * answered with PANECAST_ERR_TOO_MANY_LIVE_QUERIES and the connection stays
 * open; a query already registered is always served (it costs the composer
 * nothing more); room frees once an unwatched query's lease lapses; every
 * tenant has a cap of its own. The bus runs on a clock the test moves, so
 * leases lapse without waiting; the gateway renews what it serves every 50 ms.
 */
import type { SubscribeQuery } from '@panecast/protocol';
import { MemoryLiveBus } from '../../src/live/memory-live-bus';
import { waitFor } from '../support';
import { SECRET, T0, startHarness, token, type Harness, type TestClient } from './live-harness';

const CAP = 3;
const LEASE_MS = 15_000;

/** Distinct queries of tenant `default`: events per type, tumbling windows of `seconds`. */
function events(seconds: number): SubscribeQuery {
  return { metric: 'events', aggregate: 'count', window: { type: 'tumbling', size: seconds * 1000 }, groupBy: ['type'] };
}

const ACME: SubscribeQuery = { metric: 'acme__checkout_ms', aggregate: 'p99', window: { type: 'tumbling', size: 1000 } };

let h: Harness;
let now: number;
let renewals: number;

beforeEach(async () => {
  now = T0;
  renewals = 0;
  const bus = new MemoryLiveBus({ replayFrames: 512, queryLeaseMs: LEASE_MS }, () => now);
  const register = bus.register.bind(bus);
  bus.register = async (queries) => {
    await register(queries);
    renewals++;
  };
  h = await startHarness({ bus, maxQueriesPerTenant: CAP, secrets: [SECRET], leaseRenewMs: 50 });
  for (const seconds of [1, 2, 3, 4, 5]) {
    await h.publish(events(seconds), []); // composed once already: subscribes get their snapshot at once
  }
  await h.publish(ACME, []);
});

afterEach(async () => {
  await h.close();
});

async function subscribed(client: TestClient, sub: string, query: SubscribeQuery): Promise<void> {
  client.subscribe(sub, query);
  expect(await client.take(2)).toEqual([
    { type: 'subscribed', id: `r-${sub}`, sub, resumed: false },
    expect.objectContaining({ type: 'snapshot', sub }),
  ]);
}

async function refused(client: TestClient, sub: string, query: SubscribeQuery): Promise<void> {
  client.subscribe(sub, query);
  expect(await client.next()).toEqual({
    type: 'error',
    code: 'PANECAST_ERR_TOO_MANY_LIVE_QUERIES',
    message: `The token's tenant already has ${CAP} distinct live queries watched, the most it may; subscribe to one of them, or wait until queries no one watches any more stop counting`,
    id: `r-${sub}`,
  });
}

/** Lets `ms` of the bus's time pass, then waits for the gateway to renew what it serves. */
async function elapse(ms: number): Promise<void> {
  now += ms;
  const seen = renewals;
  await waitFor(() => (renewals > seen ? true : undefined), 'a lease renewal', 2000);
}

it('refuses the distinct query past the cap on an open connection, and still serves queries already registered', async () => {
  const client = await h.connect();
  await client.open(token());
  await subscribed(client, 'A', events(1));
  await subscribed(client, 'B', events(2));
  await subscribed(client, 'C', events(3));
  await refused(client, 'D', events(4));
  // The connection stays open: the same query under another sub id costs nothing, so it is served.
  await subscribed(client, 'D', events(1));
  // So is a query this tenant registered, on another connection (another viewer of the dashboard).
  const viewer = await h.connect();
  await viewer.open(token({ sub: 'user-2' }));
  await subscribed(viewer, 'A', events(3));
  await refused(viewer, 'B', events(5));
  expect(client.closeInfo).toBeUndefined();
  expect(viewer.closeInfo).toBeUndefined();
  expect(h.gateway.stats().errorFramesByCode).toEqual({ PANECAST_ERR_TOO_MANY_LIVE_QUERIES: 2 });
  expect([...client.violations, ...viewer.violations]).toEqual([]);
});

it('frees room once an unsubscribed query lapses, while the queries still watched keep counting', async () => {
  const client = await h.connect();
  await client.open(token());
  await subscribed(client, 'A', events(1));
  await subscribed(client, 'B', events(2));
  await subscribed(client, 'C', events(3));
  client.send({ type: 'unsubscribe', id: 'u1', sub: 'C' });
  expect(await client.next()).toEqual({ type: 'unsubscribed', id: 'u1', sub: 'C' });
  // Unwatched, the query still counts until its lease lapses (another gateway may serve it meanwhile).
  await refused(client, 'D', events(4));
  await elapse(LEASE_MS / 2);
  await elapse(LEASE_MS / 2 + 1);
  await subscribed(client, 'D', events(4));
  // A and B were renewed all along: the cap is reached again.
  await refused(client, 'E', events(5));
  expect(client.violations).toEqual([]);
});

it('counts each tenant on its own', async () => {
  const client = await h.connect();
  await client.open(token());
  for (const [sub, seconds] of [['A', 1], ['B', 2], ['C', 3]] as const) {
    await subscribed(client, sub, events(seconds));
  }
  const acme = await h.connect();
  await acme.open(token({ tenant: 'acme', sub: 'acme-user' }));
  await subscribed(acme, 'A', ACME);
  await refused(client, 'D', events(4));
  expect(acme.violations).toEqual([]);
});
