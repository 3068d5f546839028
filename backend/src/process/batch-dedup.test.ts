import type { EventOrigin } from '../collect/event';
import { BatchDedup, type DedupEntry } from './batch-dedup';

const options = { windowMs: 60_000, maxEntries: 1000 };
const origin = (batch: string, attempt: string, at: number): EventOrigin => ({ batch, attempt, at });

describe('BatchDedup', () => {
  it('applies every record of the first attempt of a batch and none of a later attempt', () => {
    const dedup = new BatchDedup(options);
    expect(dedup.admit(origin('b1', 'a1', 1000), 0)).toBe(true);
    expect(dedup.admit(origin('b1', 'a1', 1000), 1)).toBe(true);
    expect(dedup.admit(origin('b2', 'x', 1000), 2)).toBe(true);
    expect(dedup.admit(origin('b1', 'a2', 5000), 3)).toBe(false);
    expect(dedup.admit(origin('b1', 'a2', 5000), 4)).toBe(false);
    expect(dedup.duplicates).toBe(2);
    expect(dedup.drainFresh()).toEqual([
      { batch: 'b1', attempt: 'a1', at: 1000, offset: 0 },
      { batch: 'b2', attempt: 'x', at: 1000, offset: 2 },
    ]);
    expect(dedup.drainFresh()).toEqual([]);
  });

  it('forgets batches older than the window, judged by the newest collector time it admitted', () => {
    const dedup = new BatchDedup(options);
    dedup.admit(origin('old', 'a1', 0), 0);
    dedup.admit(origin('mid', 'a1', 30_000), 1);
    // A retry of a remembered batch does not move the clock forward.
    expect(dedup.admit(origin('old', 'a2', 500_000), 2)).toBe(false);
    dedup.admit(origin('new', 'a1', 60_001), 3);
    expect(dedup.horizon).toBe(1);
    expect(dedup.size).toBe(2);
    // Beyond the window a retry is applied again: the documented bound.
    expect(dedup.admit(origin('old', 'a2', 60_002), 4)).toBe(true);
  });

  it('keeps at most maxEntries batches, dropping the oldest', () => {
    const dedup = new BatchDedup({ windowMs: 1e9, maxEntries: 3 });
    for (let i = 0; i < 5; i++) {
      dedup.admit(origin(`b${i}`, 'a', i), i);
    }
    expect(dedup.size).toBe(3);
    expect(dedup.admit(origin('b0', 'retry', 10), 10)).toBe(true);
    expect(dedup.admit(origin('b4', 'retry', 10), 11)).toBe(false);
  });

  it('restores only entries at or below the committed offset, in offset order', () => {
    const stored: DedupEntry[] = [
      { batch: 'b2', attempt: 'late', at: 10, offset: 9 },
      { batch: 'b1', attempt: 'a1', at: 10, offset: 3 },
    ];
    const dedup = BatchDedup.restore(stored, 5, options);
    expect(dedup.size).toBe(1);
    expect(dedup.admit(origin('b1', 'other', 20), 6)).toBe(false);
    // b2's entry came from records after the committed offset: re-derived when they are processed again.
    expect(dedup.admit(origin('b2', 'late', 10), 9)).toBe(true);
  });

  it('makes the same decisions after a restore at any offset as without one (deterministic replay)', () => {
    // A random stream of records: batches with 1-3 attempts, records interleaved, collector clocks drifting.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const stream: EventOrigin[] = [];
    for (let i = 0; i < 3000; i++) {
      const batch = `b${Math.floor(random() * 400)}`;
      stream.push(origin(batch, `a${Math.floor(random() * 3)}`, i * 50 + Math.floor(random() * 2000)));
    }
    const small = { windowMs: 20_000, maxEntries: 150 };
    const straight = new BatchDedup(small);
    const expected = stream.map((o, offset) => straight.admit(o, offset));

    for (const cut of [0, 1, 777, 1500, 2999]) {
      const first = new BatchDedup(small);
      const stored: DedupEntry[] = [];
      const decisions = stream.slice(0, cut + 1).map((o, offset) => first.admit(o, offset));
      stored.push(...first.drainFresh());
      // Entries written past the commit (a batch that never committed) are stored too.
      const extra = new BatchDedup(small);
      stream.forEach((o, offset) => extra.admit(o, offset));
      stored.push(...extra.drainFresh().filter((entry) => entry.offset > cut));
      const restored = BatchDedup.restore(stored, cut, small);
      decisions.push(...stream.slice(cut + 1).map((o, i) => restored.admit(o, cut + 1 + i)));
      expect(decisions).toEqual(expected);
    }
  });
});
