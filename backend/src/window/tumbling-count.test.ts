import { TumblingEventTimeCounter } from './tumbling-count';

describe('TumblingEventTimeCounter', () => {
  it('rejects a window size that is not a positive whole number of ms', () => {
    expect(() => new TumblingEventTimeCounter(0)).toThrow(/positive integer/);
    expect(() => new TumblingEventTimeCounter(1.5)).toThrow(/positive integer/);
  });

  it('assigns events to [start, start + size) by event time, negative times included', () => {
    const counter = new TumblingEventTimeCounter(1000);
    expect(counter.windowStart(0)).toBe(0);
    expect(counter.windowStart(999)).toBe(0);
    expect(counter.windowStart(1000)).toBe(1000);
    expect(counter.windowStart(-1)).toBe(-1000);
  });

  it('emits each window once, when the watermark reaches its end, in window order', () => {
    const counter = new TumblingEventTimeCounter(1000);
    for (const ts of [2500, 1200, 1999, 1000, 2000, 3100]) {
      expect(counter.add(ts >= 2000 ? 'b' : 'a', ts)).toBe('accepted');
    }
    expect(counter.closeUpTo(1999)).toEqual([]);
    expect(counter.closeUpTo(2000)).toEqual([{ key: 'a', window: { start: 1000, end: 2000 }, count: 3 }]);
    expect(counter.closeUpTo(2000)).toEqual([]);
    expect(counter.closeUpTo(5000)).toEqual([
      { key: 'b', window: { start: 2000, end: 3000 }, count: 2 },
      { key: 'b', window: { start: 3000, end: 4000 }, count: 1 },
    ]);
    expect(counter.openWindows).toBe(0);
  });

  it('counts an event for a window already emitted as late instead of changing it', () => {
    const counter = new TumblingEventTimeCounter(1000);
    counter.add('a', 1500);
    counter.closeUpTo(2500);
    expect(counter.add('a', 1999)).toBe('late');
    expect(counter.add('a', 2000)).toBe('accepted');
    expect(counter.late).toBe(1);
    expect(counter.closeUpTo(3000)).toEqual([{ key: 'a', window: { start: 2000, end: 3000 }, count: 1 }]);
  });

  it('matches a brute-force count on shuffled events', () => {
    const counter = new TumblingEventTimeCounter(1000);
    const expected = new Map<string, number>();
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const ts = Math.floor(random() * 60_000);
      const key = `k${Math.floor(random() * 5)}`;
      counter.add(key, ts);
      const id = `${key}@${Math.floor(ts / 1000) * 1000}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const actual = new Map(counter.closeUpTo(60_000).map((r) => [`${r.key}@${r.window.start}`, r.count]));
    expect(actual).toEqual(expected);
  });
});
