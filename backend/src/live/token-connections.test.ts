import { GatedLedger } from '../../test/embedded/gated-ledger';
import { MemoryConnectionLedger } from './memory-connection-ledger';
import { TokenConnections, type Admission } from './token-connections';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const opened: TokenConnections[] = [];

function gateway(ledger: GatedLedger | MemoryConnectionLedger, limit = 2, instanceId = 'gw'): TokenConnections {
  const tokens = new TokenConnections(ledger, { instanceId, limit, answerTimeoutMs: 1000 });
  opened.push(tokens);
  return tokens;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((tokens) => tokens.close()));
});

function admitted(admission: Admission): () => void {
  if (!admission.admitted) {
    throw new Error(`refused: ${admission.reason}`);
  }
  return admission.release;
}

it('renews the slots it holds past their lease, and frees them all on close', async () => {
  const ledger = new MemoryConnectionLedger(150);
  const tokens = gateway(ledger);
  admitted(await tokens.acquire('k'));
  admitted(await tokens.acquire('k'));
  expect(await tokens.acquire('k')).toEqual({ admitted: false, reason: 'limit' });
  await sleep(500);
  expect(await ledger.count('k')).toBe(2);
  expect(tokens.size).toBe(2);
  await tokens.close();
  expect(await ledger.count('k')).toBe(0);
  expect(await tokens.acquire('k')).toEqual({ admitted: false, reason: 'unavailable' });
});

it('frees a slot once on release, however often release is called', async () => {
  const ledger = new MemoryConnectionLedger(60_000);
  const tokens = gateway(ledger);
  const release = admitted(await tokens.acquire('k'));
  admitted(await tokens.acquire('k'));
  release();
  release();
  await sleep(0);
  expect(await ledger.count('k')).toBe(1);
  expect(tokens.size).toBe(1);
});

it('names its slots apart from another gateway started under the same instance id', async () => {
  const ledger = new GatedLedger();
  const a = gateway(ledger, 5, 'same-host-1');
  const b = gateway(ledger, 5, 'same-host-1');
  admitted(await a.acquire('k'));
  admitted(await b.acquire('k'));
  const [first, second] = ledger.members;
  expect(first).toMatch(/^same-host-1\.[0-9a-f]{12}\/1$/);
  expect(second).toMatch(/^same-host-1\.[0-9a-f]{12}\/1$/);
  expect(first).not.toBe(second);
  expect(await ledger.count('k')).toBe(2);
});

it('frees a slot released during a renewal only after it, so the renewal cannot count it again', async () => {
  const ledger = new GatedLedger();
  const tokens = gateway(ledger);
  const release = admitted(await tokens.acquire('k'));
  ledger.close('renew');
  const renewal = tokens.renew();
  release();
  await sleep(10);
  // Still counted: the renewal in flight carries the slot.
  expect(await ledger.count('k')).toBe(1);
  ledger.open('renew');
  await renewal;
  await sleep(10);
  expect(await ledger.count('k')).toBe(0);
});

it("frees a dead gateway's slots after the lease, for another gateway to take", async () => {
  const slots = new MemoryConnectionLedger(200);
  const deadLedger = new GatedLedger(slots);
  const dead = gateway(deadLedger, 2, 'dead');
  const alive = gateway(new GatedLedger(slots), 2, 'alive');
  admitted(await dead.acquire('k'));
  admitted(await dead.acquire('k'));
  // The dead gateway's renewals never reach the ledger (a process killed, a host cut off).
  deadLedger.close('renew');
  expect(await alive.acquire('k')).toEqual({ admitted: false, reason: 'limit' });
  await sleep(300);
  admitted(await alive.acquire('k'));
  admitted(await alive.acquire('k'));
  // The live gateway's slots stay counted past the lease.
  await sleep(300);
  expect(await alive.acquire('k')).toEqual({ admitted: false, reason: 'limit' });
  // Not dead after all, only cut off: its connections are open, so its renewal counts them again,
  // over the limit, and the token gets no new connection until it is back under.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  deadLedger.open('renew');
  await dead.renew();
  expect(warn).toHaveBeenCalledWith('token connections: 2 connection slot(s) had outlived their lease and were counted again');
  expect(await slots.count('k')).toBe(4);
  expect(await alive.acquire('k')).toEqual({ admitted: false, reason: 'limit' });
  warn.mockRestore();
});

it('closes within answerTimeoutMs even when the ledger hangs', async () => {
  const ledger = new GatedLedger();
  const tokens = new TokenConnections(ledger, { instanceId: 'gw', limit: 1, answerTimeoutMs: 100 });
  admitted(await tokens.acquire('k'));
  ledger.close('renew');
  void tokens.renew();
  const started = Date.now();
  await tokens.close();
  expect(Date.now() - started).toBeLessThan(1000);
  ledger.open('renew');
});

it('refuses as unavailable when the ledger does not answer in time', async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const ledger = new GatedLedger();
  const tokens = new TokenConnections(ledger, { instanceId: 'gw', limit: 1, answerTimeoutMs: 50 });
  opened.push(tokens);
  ledger.close();
  expect(await tokens.acquire('k')).toEqual({ admitted: false, reason: 'unavailable' });
  ledger.open();
  await sleep(10);
  // Granted after the refusal: released at once, not held.
  expect(await ledger.count('k')).toBe(0);
  expect(tokens.size).toBe(0);
  expect(warn).toHaveBeenCalledTimes(1);
  warn.mockRestore();
});
