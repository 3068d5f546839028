import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const options = { baseMs: 500, maxMs: 30_000 };

  it('draws uniformly below a ceiling that doubles per attempt (full jitter)', () => {
    expect(backoffDelay(0, options, () => 0)).toBe(0);
    expect(backoffDelay(0, options, () => 0.999)).toBe(499);
    expect(backoffDelay(3, options, () => 0.5)).toBe(2000);
  });

  it('caps the ceiling at maxMs however many attempts failed', () => {
    expect(backoffDelay(10, options, () => 0.999)).toBe(29_970);
    expect(backoffDelay(5000, options, () => 0.999)).toBe(29_970);
  });
});
