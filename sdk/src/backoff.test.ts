import { fullJitter, retryAfterMs, retryDelay } from './backoff';

describe('backoff', () => {
  it('draws full jitter below a ceiling that doubles per failure up to maxMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => fullJitter(n, 100, 1000, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(fullJitter(3, 100, 1000, () => 0)).toBe(0);
    // Huge failure counts do not overflow to Infinity or NaN.
    expect(fullJitter(10_000, 100, 1000, () => 0.5)).toBe(500);
  });

  it('spreads the delays of many clients over the whole range', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647);
    const delays = Array.from({ length: 10_000 }, () => fullJitter(4, 100, 30_000, random));
    const buckets = [0, 0, 0, 0];
    delays.forEach((d) => buckets[Math.floor(d / 200)]!++);
    for (const count of buckets) {
      expect(count).toBeGreaterThan(2300);
      expect(count).toBeLessThan(2700);
    }
  });

  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(retryAfterMs('7', now, 60_000)).toBe(7000);
    expect(retryAfterMs(' 0 ', now, 60_000)).toBe(0);
    expect(retryAfterMs('Sat, 28 Nov 2026 10:00:30 GMT', now, 60_000)).toBe(30_000);
    expect(retryAfterMs('Sat, 28 Nov 2026 09:00:00 GMT', now, 60_000)).toBe(0);
    expect(retryAfterMs('3600', now, 60_000)).toBe(60_000);
    expect(retryAfterMs('soon', now, 60_000)).toBeUndefined();
    expect(retryAfterMs(null, now, 60_000)).toBeUndefined();
    expect(retryAfterMs('-5', now, 60_000)).toBeUndefined();
  });

  it('waits at least Retry-After, plus up to baseMs of jitter', () => {
    expect(retryDelay(9, 2000, 500, 30_000, () => 0)).toBe(2000);
    expect(retryDelay(9, 2000, 500, 30_000, () => 0.5)).toBe(2250);
    expect(retryDelay(2, undefined, 500, 30_000, () => 0.5)).toBe(500);
  });
});
