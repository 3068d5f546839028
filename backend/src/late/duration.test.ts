import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['1d2h', 93_600_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', 'm', '1.5h', '-1h', '+1h', '2x', '1 h', '1H', '0m', '0s0ms', 'h1', '1h ', '9999999999999999d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [350, '350 ms'],
    [4_250, '4.2 s'],
    [59_999, '59.9 s'],
    [187_000, '3m 07s'],
    [7_500_000, '2h 05m'],
    [97_200_000, '1d 03h'],
    [-90_000, '-1m 30s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
