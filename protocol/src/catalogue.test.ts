import { DEFAULT_MAX_LIVE_WINDOW_MS, maxLiveWindowOf } from './catalogue';

describe('maxLiveWindowOf', () => {
  it('reads the limit a catalogue announces', () => {
    expect(maxLiveWindowOf({ maxLiveWindowMs: 7_200_000 })).toBe(7_200_000);
  });

  it('gives a catalogue without a usable limit (an older backend, no catalogue) the protocol default', () => {
    expect(DEFAULT_MAX_LIVE_WINDOW_MS).toBe(3_600_000);
    for (const catalogue of [undefined, {}, { maxLiveWindowMs: 0 }, { maxLiveWindowMs: -1000 }, { maxLiveWindowMs: 1.5 }, { maxLiveWindowMs: '3600000' }, { maxLiveWindowMs: Number.POSITIVE_INFINITY }]) {
      expect(maxLiveWindowOf(catalogue)).toBe(DEFAULT_MAX_LIVE_WINDOW_MS);
    }
  });
});
