import { GatedLedger } from '../../test/embedded/gated-ledger';
import type { ConnectionLedger } from './connection-ledger';
import { MemoryConnectionLedger } from './memory-connection-ledger';
import { TokenConnections, type Admission } from './token-connections';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const opened: TokenConnections[] = [];

/**
 * Runs `test` on fake timers, so short leases and their renewals follow our clock and a stalled test
 * process cannot let a slot lapse. Promises, setImmediate and nextTick stay real. Ledgers and gateways
 * must be made inside `test` (their clocks and timers are taken when they are made).
 */
async function onFakeTime(test: () => Promise<void>): Promise<void> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  try {
    await test();
  } finally {
    jest.useRealTimers();
  }
}

function gateway(ledger: GatedLedger | MemoryConnectionLedger, limit = 2, instanceId = 'gw'): TokenConnections {
  const tokens = new TokenConnections(ledger, { instanceId, limit, answerTimeoutMs: 1000 });
  opened.push(tokens);
  return tokens;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((tokens) => tokens.close()));
});

/** A gateway counting subjects too (3 per subject), beside its per-token limit of 2. */
function subjectGateway(ledger: ConnectionLedger, options: { limit?: number; subjectLimit?: number; answerTimeoutMs?: number } = {}): TokenConnections {
  const tokens = new TokenConnections(ledger, { instanceId: 'gw', limit: 2, subjectLimit: 3, answerTimeoutMs: 1000, ...options });
  opened.push(tokens);
  return tokens;
}

function admitted(admission: Admission): () => void {
  if (!admission.admitted) {
    throw new Error(`refused: ${admission.reason}`);
  }
  return admission.release;
}

it('renews the slots it holds past their lease, and frees them all on close', () =>
  onFakeTime(async () => {
    const ledger = new MemoryConnectionLedger(150);
    const tokens = gateway(ledger);
    admitted(await tokens.acquire('k'));
    admitted(await tokens.acquire('k'));
    expect(await tokens.acquire('k')).toEqual({ admitted: false, reason: 'limit' });
    await jest.advanceTimersByTimeAsync(500);
    expect(await ledger.count('k')).toBe(2);
    expect(tokens.size).toBe(2);
    await tokens.close();
    expect(await ledger.count('k')).toBe(0);
    expect(await tokens.acquire('k')).toEqual({ admitted: false, reason: 'unavailable' });
  }));

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

it("frees a dead gateway's slots after the lease, for another gateway to take", () =>
  onFakeTime(async () => {
    const slots = new MemoryConnectionLedger(200);
    const deadLedger = new GatedLedger(slots);
    const dead = gateway(deadLedger, 2, 'dead');
    const alive = gateway(new GatedLedger(slots), 2, 'alive');
    admitted(await dead.acquire('k'));
    admitted(await dead.acquire('k'));
    // The dead gateway's renewals never reach the ledger (a process killed, a host cut off).
    deadLedger.close('renew');
    expect(await alive.acquire('k')).toEqual({ admitted: false, reason: 'limit' });
    await jest.advanceTimersByTimeAsync(300);
    admitted(await alive.acquire('k'));
    admitted(await alive.acquire('k'));
    // The live gateway's slots stay counted past the lease.
    await jest.advanceTimersByTimeAsync(300);
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
  }));

it('closes within answerTimeoutMs even when the ledger hangs', async () => {
  // Timers faked, not measured: close() must be done once its answerTimeoutMs has passed, whatever
  // the ledger does. Promises, setImmediate and nextTick stay real, so only the clock is ours.
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  try {
    const ledger = new GatedLedger();
    const tokens = new TokenConnections(ledger, { instanceId: 'gw', limit: 1, answerTimeoutMs: 100 });
    admitted(await tokens.acquire('k'));
    // The slot's release waits for the renewal in flight, which the hung ledger never answers.
    ledger.close('renew');
    void tokens.renew();
    let closed = false;
    const closing = tokens.close().then(() => {
      closed = true;
    });
    // It waits for the ledger (the release may still come) up to the timeout, and no longer.
    await jest.advanceTimersByTimeAsync(99);
    expect(closed).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(closed).toBe(true);
    await closing;
    // The ledger back: the release it was owed still frees the slot.
    ledger.open('renew');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await ledger.count('k')).toBe(0);
  } finally {
    jest.useRealTimers();
  }
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

it('reads an answer that arrived while its own loop was busy before deciding the ledger timed out', async () => {
  // The ledger's answer travels over a real socket from another process, as Redis's does.
  const { spawn } = await import('node:child_process');
  const { connect } = await import('node:net');
  const { existsSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  // The answerer marks, once its reply has left for the kernel, that it has answered (a file: this
  // process's loop is blocked when it looks).
  const dir = mkdtempSync(join(tmpdir(), 'panecast-answerer-'));
  const answeredFlag = join(dir, 'answered');
  const answerer = spawn(process.execPath, [
    '-e',
    "const s=require('net').createServer(c=>c.on('data',()=>c.write('1',()=>require('fs').writeFileSync(process.argv[1],'')))).listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    answeredFlag,
  ]);
  const port = await new Promise<number>((resolve) => answerer.stdout.once('data', (data: Buffer) => resolve(Number(data.toString()))));
  const client = connect(port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  const memory = new MemoryConnectionLedger(60_000);
  const overSocket = Object.create(memory) as MemoryConnectionLedger;
  overSocket.acquire = (key, member, limit) =>
    new Promise<boolean>((resolve) => {
      client.once('data', () => resolve(memory.acquire(key, member, limit)));
      client.write('?');
    });
  const tokens = new TokenConnections(overSocket, { instanceId: 'gw', limit: 2, answerTimeoutMs: 50 });
  opened.push(tokens);
  const pending = tokens.acquire('k');
  // A reconnect storm: the loop is busy past the timeout while the answer lands in the socket. Busy
  // until the answer was sent (however slow the answerer), and a little after (loopback delivery).
  const started = Date.now();
  let sentAt: number | undefined;
  while (Date.now() < started + 200 || sentAt === undefined || Date.now() < sentAt + 20) {
    if (sentAt === undefined && existsSync(answeredFlag)) {
      sentAt = Date.now();
    }
    if (Date.now() > started + 10_000) {
      throw new Error('the answerer did not reply within 10 s');
    }
  }
  const admission = await pending;
  client.destroy();
  answerer.kill();
  rmSync(dir, { recursive: true, force: true });
  expect(admission.admitted).toBe(true);
  expect(await memory.count('k')).toBe(1);
});

it('spreads a renewal cycle over slices, each slot renewed once per cycle', async () => {
  const ledger = new MemoryConnectionLedger(60_000);
  const tokens = gateway(ledger, 1);
  for (let i = 0; i < 40; i++) {
    admitted(await tokens.acquire(`k${i}`));
  }
  const renew = jest.spyOn(ledger, 'renew');
  for (let slice = 0; slice < 20; slice++) {
    await tokens.renew();
  }
  const renewed = renew.mock.calls.map(([held]) => [...held.keys()]);
  // 20 slices of 2 keys: no burst of every key at once, and none left out or renewed twice.
  expect(renewed.map((keys) => keys.length)).toEqual(Array(20).fill(2));
  expect(renewed.flat().sort()).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`).sort());
  // The next cycle starts over with the keys held then.
  await tokens.renew();
  expect(renew.mock.calls[20]?.[0].size).toBe(2);
});

it('keeps renewing the next slices while an earlier slice waits for its answer', async () => {
  const ledger = new MemoryConnectionLedger(60_000);
  const tokens = gateway(ledger, 1);
  for (let i = 0; i < 40; i++) {
    admitted(await tokens.acquire(`k${i}`));
  }
  const renew = jest.spyOn(ledger, 'renew').mockImplementationOnce(() => new Promise<number>(() => undefined));
  void tokens.renew(); // its answer never comes (a gateway too busy to read it, say)
  await tokens.renew();
  await tokens.renew();
  expect(renew).toHaveBeenCalledTimes(3);
  expect(new Set(renew.mock.calls.flatMap(([held]) => [...held.keys()])).size).toBe(6);
});

/**
 * The per-subject limit: a key holder who mints a token per connection gets no more connections
 * than `subjectLimit`, across gateways sharing the ledger, and a refusal or a failure of either
 * slot leaves no slot behind.
 */
describe('per subject', () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('caps the connections of one subject over all its tokens and every gateway', async () => {
    const ledger = new MemoryConnectionLedger(60_000);
    const a = subjectGateway(ledger);
    const b = subjectGateway(ledger);
    // A fresh token per connection (what minting in a loop gives): each token is far under its own limit.
    admitted(await a.acquire('jti-1', 'key-A'));
    admitted(await b.acquire('jti-2', 'key-A'));
    const third = admitted(await a.acquire('jti-3', 'key-A'));
    expect(await b.acquire('jti-4', 'key-A')).toEqual({ admitted: false, reason: 'subject-limit' });
    expect(await a.acquire('jti-5', 'key-A')).toEqual({ admitted: false, reason: 'subject-limit' });
    // The refused tokens' own slots were given back.
    await settle();
    expect(await ledger.count('jti-4')).toBe(0);
    expect(await ledger.count('jti-5')).toBe(0);
    expect(await ledger.count('key-A')).toBe(3);
    // Another subject has a budget of its own.
    admitted(await b.acquire('jti-6', 'key-B'));
    // A connection that ends frees its place under both keys.
    third();
    await settle();
    expect(await ledger.count('jti-3')).toBe(0);
    expect(await ledger.count('key-A')).toBe(2);
    admitted(await b.acquire('jti-4', 'key-A'));
  });

  it('still applies the per-token limit first, and counts a refused token nowhere', async () => {
    const ledger = new MemoryConnectionLedger(60_000);
    const tokens = subjectGateway(ledger, { limit: 1, subjectLimit: 5 });
    admitted(await tokens.acquire('jti-1', 'key-A'));
    expect(await tokens.acquire('jti-1', 'key-A')).toEqual({ admitted: false, reason: 'limit' });
    await settle();
    expect(await ledger.count('key-A')).toBe(1);
    expect(tokens.size).toBe(2);
  });

  it('renews the subject slot with the token slot, past the lease', () =>
    onFakeTime(async () => {
      const ledger = new MemoryConnectionLedger(150);
      const tokens = subjectGateway(ledger, { subjectLimit: 1 });
      admitted(await tokens.acquire('jti-1', 'key-A'));
      await jest.advanceTimersByTimeAsync(500);
      expect(await ledger.count('key-A')).toBe(1);
      expect(await subjectGateway(ledger, { subjectLimit: 1 }).acquire('jti-2', 'key-A')).toEqual({ admitted: false, reason: 'subject-limit' });
      await tokens.close();
      expect(await ledger.count('key-A')).toBe(0);
      expect(await ledger.count('jti-1')).toBe(0);
    }));

  it('refuses as unavailable and frees the token slot when the subject slot cannot be counted', async () => {
    const inner = new MemoryConnectionLedger(60_000);
    const failing: ConnectionLedger = {
      leaseMs: inner.leaseMs,
      acquire: (key, member, limit) => (key === 'key-A' ? Promise.reject(new Error('redis down')) : inner.acquire(key, member, limit)),
      release: (key, member) => inner.release(key, member),
      renew: (held) => inner.renew(held),
      count: (key) => inner.count(key),
    };
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const tokens = subjectGateway(failing);
      expect(await tokens.acquire('jti-1', 'key-A')).toEqual({ admitted: false, reason: 'unavailable' });
      await settle();
      expect(await inner.count('jti-1')).toBe(0);
      expect(tokens.size).toBe(0);
    } finally {
      warn.mockRestore();
    }
  });

  it('frees both slots when they are granted after the answer timed out', async () => {
    const ledger = new GatedLedger();
    const tokens = subjectGateway(ledger, { answerTimeoutMs: 50 });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      ledger.close();
      const pending = tokens.acquire('jti-1', 'key-A');
      expect(await pending).toEqual({ admitted: false, reason: 'unavailable' });
      ledger.open();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await ledger.count('jti-1')).toBe(0);
      expect(await ledger.count('key-A')).toBe(0);
      expect(tokens.size).toBe(0);
    } finally {
      warn.mockRestore();
    }
  });

  it('counts no subject when none is given or no subject limit is set', async () => {
    const ledger = new MemoryConnectionLedger(60_000);
    const unlimited = subjectGateway(ledger, { subjectLimit: undefined });
    for (let i = 0; i < 5; i++) {
      admitted(await unlimited.acquire(`jti-${i}`, 'key-A'));
    }
    admitted(await subjectGateway(ledger).acquire('jti-x'));
    expect(await ledger.count('key-A')).toBe(0);
  });
});
