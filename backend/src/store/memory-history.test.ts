import { historyContract } from '../../test/history-contract';
import { MemoryHistory } from './memory-history';

historyContract('memory', async () => new MemoryHistory());

describe('MemoryHistory', () => {
  const sample = (timestamp: number, value = 1) => ({ name: 'm', labels: { window: '1s' }, timestamp, value });
  const query = (start: number, windowMs = 1000) => ({ name: 'm', match: {}, op: 'sum' as const, by: [], windowMs, start, end: start, stepMs: 1000 });

  it('drops its oldest timestamps beyond its limit, and refuses reads that reach back to them', async () => {
    const history = new MemoryHistory(10);
    await history.writeSamples(Array.from({ length: 12 }, (_, i) => sample(i * 1000)));
    // Evicted down to 90 % of the limit: the 3 oldest seconds are gone.
    expect(history.samples().map((s) => s.timestamp)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11].map((s) => s * 1000));
    // (2 s, 4 s] holds only what is still here; (1 s, 3 s] held the sample at 2 s.
    expect(await history.aggregate(query(4000, 2000))).toEqual([{ labels: {}, points: [[4000, 2]] }]);
    await expect(history.aggregate(query(3000, 2000))).rejects.toMatchObject({ code: 'PANECAST_ERR_HISTORY_EVICTED', status: 410 });
    // A late write for an evicted instant is not kept either.
    await history.writeSamples([sample(1000)]);
    expect(history.samples()).toHaveLength(9);
  });

  it('rejects aggregations that break the port rules', async () => {
    const history = new MemoryHistory();
    await expect(history.aggregate({ ...query(1000), stepMs: 0 })).rejects.toThrow('bad aggregation');
    await expect(history.aggregate({ ...query(1000), match: { route: [] } })).rejects.toThrow('at least one value');
  });
});
