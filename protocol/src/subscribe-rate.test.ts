import { SubscribeRate } from './subscribe-rate';

describe('SubscribeRate', () => {
  it('gives a full bucket at once, then refills it continuously up to its size', () => {
    const rate = new SubscribeRate(4, 0);
    expect([0, 0, 0, 0, 0].map(() => rate.take(0))).toEqual([true, true, true, true, false]);
    // A quarter second refills one token at 4/s.
    expect(rate.take(249)).toBe(false);
    expect(rate.take(250)).toBe(true);
    expect(rate.take(250)).toBe(false);
    // A long pause refills no more than the bucket holds.
    const after = [0, 0, 0, 0, 0].map(() => rate.take(60_000));
    expect(after).toEqual([true, true, true, true, false]);
  });
});
