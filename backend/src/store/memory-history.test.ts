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

  it('answers sliding windows exactly as summing each window afresh would, for every op, window and step', async () => {
    // Gaps, bursts and negative values over 10 min; windows shorter and longer than the step.
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const samples = Array.from({ length: 600 }, (_, i) => i * 1000)
      .filter(() => random() < 0.7)
      .map((timestamp) => sample(timestamp, Math.round(random() * 2000) - 1000));
    const history = new MemoryHistory();
    await history.writeSamples(samples);
    const fold = { sum: (a: number, b: number) => a + b, min: (a: number, b: number) => Math.min(a, b), max: (a: number, b: number) => Math.max(a, b) };
    for (const op of ['sum', 'min', 'max'] as const) {
      for (const [windowMs, stepMs] of [[1000, 1000], [60_000, 1000], [300_000, 7000], [5000, 60_000], [600_000, 600_000]] as const) {
        const start = 30_000;
        const end = 650_000;
        const expected: Array<[number, number]> = [];
        for (let t = start; t <= end; t += stepMs) {
          const inside = samples.filter((s) => s.timestamp > t - windowMs && s.timestamp <= t).map((s) => s.value);
          if (inside.length > 0) {
            expected.push([t, inside.reduce(fold[op])]);
          }
        }
        const answer = await history.aggregate({ name: 'm', match: {}, op, by: [], windowMs, start, end, stepMs });
        expect({ op, windowMs, stepMs, points: answer[0]?.points ?? [] }).toEqual({ op, windowMs, stepMs, points: expected });
      }
    }
  });

  it('rejects aggregations that break the port rules', async () => {
    const history = new MemoryHistory();
    await expect(history.aggregate({ ...query(1000), stepMs: 0 })).rejects.toThrow('bad aggregation');
    await expect(history.aggregate({ ...query(1000), match: { route: [] } })).rejects.toThrow('at least one value');
  });
});
