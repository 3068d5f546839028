/**
 * The per-subject limit of TokenConnections: a key holder who mints a token per connection gets no
 * more connections than `subjectLimit`, across gateways sharing the ledger, and a refusal or a
 * failure of either slot leaves no slot behind.
 */
import { GatedLedger } from '../../test/embedded/gated-ledger';
import type { ConnectionLedger } from './connection-ledger';
import { MemoryConnectionLedger } from './memory-connection-ledger';
import { TokenConnections, type Admission } from './token-connections';

const opened: TokenConnections[] = [];

function gateway(ledger: ConnectionLedger, options: { limit?: number; subjectLimit?: number; answerTimeoutMs?: number } = {}): TokenConnections {
  const tokens = new TokenConnections(ledger, { instanceId: 'gw', limit: 2, subjectLimit: 3, answerTimeoutMs: 1000, ...options });
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

const settle = () => new Promise((resolve) => setImmediate(resolve));

it('caps the connections of one subject over all its tokens and every gateway', async () => {
  const ledger = new MemoryConnectionLedger(60_000);
  const a = gateway(ledger);
  const b = gateway(ledger);
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
  const tokens = gateway(ledger, { limit: 1, subjectLimit: 5 });
  admitted(await tokens.acquire('jti-1', 'key-A'));
  expect(await tokens.acquire('jti-1', 'key-A')).toEqual({ admitted: false, reason: 'limit' });
  await settle();
  expect(await ledger.count('key-A')).toBe(1);
  expect(tokens.size).toBe(2);
});

it('renews the subject slot with the token slot, past the lease', async () => {
  const ledger = new MemoryConnectionLedger(150);
  const tokens = gateway(ledger, { subjectLimit: 1 });
  admitted(await tokens.acquire('jti-1', 'key-A'));
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await ledger.count('key-A')).toBe(1);
  expect(await gateway(ledger, { subjectLimit: 1 }).acquire('jti-2', 'key-A')).toEqual({ admitted: false, reason: 'subject-limit' });
  await tokens.close();
  expect(await ledger.count('key-A')).toBe(0);
  expect(await ledger.count('jti-1')).toBe(0);
});

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
    const tokens = gateway(failing);
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
  const tokens = gateway(ledger, { answerTimeoutMs: 50 });
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
  const unlimited = gateway(ledger, { subjectLimit: undefined });
  for (let i = 0; i < 5; i++) {
    admitted(await unlimited.acquire(`jti-${i}`, 'key-A'));
  }
  admitted(await gateway(ledger).acquire('jti-x'));
  expect(await ledger.count('key-A')).toBe(0);
});
