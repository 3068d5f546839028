/**
 * Connections per token across gateways, on the real Redis: three in-process
 * gateways (each its own Redis connection, live bus and connection ledger, as
 * three processes would have) share one namespace. A token's limit holds
 * across all of them; a closed connection frees a slot on any gateway; a
 * gateway cut off from Redis without releasing (what a SIGKILL looks like to
 * Redis) frees its slots once their lease runs out, and refuses new
 * connections itself. Short leases, no long sleeps.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { CLOSE, DEFAULT_LIMITS } from '@panecast/protocol';
import { GATEWAY_DEFAULTS, LiveGateway } from '../../src/live/gateway';
import { RedisConnectionLedger } from '../../src/live/redis-connection-ledger';
import { RedisLiveBus } from '../../src/live/redis-live-bus';
import { DEFINITIONS, PANE_MS, SECRET, TestClient, token } from '../embedded/live-harness';
import { waitFor } from '../support';
import { REDIS_URL } from './services-env';

/** Short, yet long enough that a stalled test process still reads a dead gateway's slot before it lapses. */
const LEASE_MS = 1500;
const LIMIT = 3;

interface Gateway {
  name: string;
  url: string;
  redis: Redis;
  bus: RedisLiveBus;
  gateway: LiveGateway;
  server: Server;
}

const namespace = `conn-limit-${Date.now().toString(36)}-${process.pid}`;
const gateways: Gateway[] = [];
const clients: TestClient[] = [];
const observer = new Redis(REDIS_URL);
/** Reads the shared count the way any gateway would. */
const ledger = new RedisConnectionLedger(observer, namespace, LEASE_MS);

async function startGateway(name: string): Promise<Gateway> {
  const redis = new Redis(REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  const bus = new RedisLiveBus(redis, namespace, { replayFrames: DEFAULT_LIMITS.replayFrames, queryLeaseMs: 15_000 });
  const gateway = new LiveGateway(bus, new RedisConnectionLedger(redis, namespace, LEASE_MS), DEFINITIONS, {
    ...GATEWAY_DEFAULTS,
    instanceId: name,
    limits: { ...DEFAULT_LIMITS, maxConnectionsPerToken: LIMIT },
    paneMs: PANE_MS,
    maxLiveWindowMs: 3_600_000,
    secrets: [SECRET],
    allowedOrigins: ['*'],
    ledgerTimeoutMs: 1000,
  });
  const server = createServer((_request, response) => response.writeHead(404).end());
  gateway.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = { name, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, redis, bus, gateway, server };
  gateways.push(started);
  return started;
}

async function connect(gateway: Gateway): Promise<TestClient> {
  const client = await TestClient.open(gateway.url);
  clients.push(client);
  return client;
}

const shared = () => token({ sub: 'wall-display', jti: 'shared-token' });
const KEY = 'jti\u0000default\u0000shared-token';

async function expectRefused(gateway: Gateway): Promise<void> {
  const client = await connect(gateway);
  client.hello(shared());
  expect(await client.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_TOO_MANY_CONNECTIONS', message: `This token already has ${LIMIT} open connections` });
  expect(await client.closedWithin()).toMatchObject({ code: CLOSE.TOO_MANY_CONNECTIONS, reason: 'PANECAST_ERR_TOO_MANY_CONNECTIONS' });
}

afterAll(async () => {
  clients.forEach((client) => client.socket.terminate());
  for (const { gateway, bus, redis, server } of gateways) {
    await gateway.close();
    await bus.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    redis.disconnect();
  }
  observer.disconnect();
});

test("one token's connections are counted across gateways, freed by a close anywhere, and by a dead gateway's lease", async () => {
  const [a, b, c] = [await startGateway('gw-a'), await startGateway('gw-b'), await startGateway('gw-c')];

  // The limit, spread over the three gateways.
  const onA = await connect(a);
  await onA.open(shared());
  const onB = await connect(b);
  await onB.open(shared());
  const onC = await connect(c);
  await onC.open(shared());
  expect(await ledger.count(KEY)).toBe(LIMIT);

  // The next one is refused on every gateway, though each holds only one.
  for (const gateway of [a, b, c]) {
    await expectRefused(gateway);
  }
  // Another token has its own budget on the same gateways.
  const other = await connect(a);
  await other.open(token({ sub: 'wall-display', jti: 'another-token' }));

  // A close on gw-a frees a slot that gw-b can give.
  onA.socket.close();
  await waitFor(async () => ((await ledger.count(KEY)) === LIMIT - 1 ? true : undefined), 'the closed connection to free its slot', 5000);
  const movedToB = await connect(b);
  await movedToB.open(shared());
  await expectRefused(c);

  // Held slots outlive several leases: each gateway renews its own.
  await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS));
  expect(await ledger.count(KEY)).toBe(LIMIT);
  await expectRefused(a);

  // gw-c dies: cut off from Redis, so it neither renews nor releases; its client's connection drops.
  c.redis.disconnect();
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  onC.socket.terminate();
  await waitFor(() => (c.gateway.connections === 0 ? true : undefined), 'gw-c to lose its client', 2000);
  const died = Date.now();
  // Its slot is still counted until the lease runs out…
  expect(await ledger.count(KEY)).toBe(LIMIT);
  // …then freed for the surviving gateways.
  await waitFor(async () => ((await ledger.count(KEY)) === LIMIT - 1 ? true : undefined), "the dead gateway's slot to lapse", LEASE_MS + 4000);
  expect(Date.now() - died).toBeLessThanOrEqual(LEASE_MS + 1500);
  const afterDeath = await connect(a);
  await afterDeath.open(shared());
  await expectRefused(b);

  // A gateway that cannot reach Redis refuses rather than admitting uncounted connections.
  const cutOff = await connect(c);
  cutOff.hello(token({ sub: 'wall-display', jti: 'a-fresh-token' }));
  expect(await cutOff.next()).toMatchObject({ type: 'error', code: 'PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE' });
  expect(await cutOff.closedWithin()).toMatchObject({ code: CLOSE.INTERNAL_ERROR, reason: 'PANECAST_ERR_CONNECTION_COUNT_UNAVAILABLE' });
  warn.mockRestore();
}, 60_000);
