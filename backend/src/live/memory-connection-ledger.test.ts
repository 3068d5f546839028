import { connectionLedgerContract, CONTRACT_LEASE_MS } from '../../test/connection-ledger-contract';
import { MemoryConnectionLedger } from './memory-connection-ledger';

connectionLedgerContract('memory', async () => {
  let now = 1_700_000_000_000;
  return {
    ledger: new MemoryConnectionLedger(CONTRACT_LEASE_MS, () => now),
    elapse: async (ms) => {
      now += ms;
    },
  };
});

it('ends a lease exactly at its expiry, as Redis does', async () => {
  let now = 0;
  const ledger = new MemoryConnectionLedger(1000, () => now);
  expect(await ledger.acquire('k', 'gw/1', 1)).toBe(true);
  now = 999;
  expect(await ledger.count('k')).toBe(1);
  now = 1000;
  expect(await ledger.count('k')).toBe(0);
});

it('rejects a lease that is not positive', () => {
  expect(() => new MemoryConnectionLedger(0)).toThrow('leaseMs must be positive');
});
