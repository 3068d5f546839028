import { PanecastError } from '../errors';
import { CLOCK_SKEW_THRESHOLD_MS, MAX_SENT_AT, clockOffsetOf, sentAtOf } from './sent-at';

describe('sentAtOf', () => {
  it('reads epoch milliseconds, and nothing when the header is absent', () => {
    expect(sentAtOf(undefined)).toBeUndefined();
    expect(sentAtOf('1800000000000')).toBe(1_800_000_000_000);
    // A device clock that starts at 1970 is exactly what the correction is for.
    expect(sentAtOf('0')).toBe(0);
    expect(sentAtOf(String(MAX_SENT_AT))).toBe(MAX_SENT_AT);
  });

  it.each([
    '',
    ' 1800000000000',
    '-5',
    '+5',
    '1800000000000.5',
    '1.8e12',
    '0x1A',
    '007',
    'NaN',
    'Infinity',
    'Tue, 01 Dec 2026 10:00:00 GMT',
    String(MAX_SENT_AT + 1),
    '99999999999999999999',
    '1800000000000, 1800000000001',
  ])('refuses %j with PANECAST_ERR_SENT_AT', (header) => {
    expect(() => sentAtOf(header)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_SENT_AT', status: 400 }));
    expect(() => sentAtOf(header)).toThrow(PanecastError);
  });

  it('refuses a repeated header', () => {
    expect(() => sentAtOf(['1800000000000', '1800000000000'])).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_SENT_AT' }));
  });
});

describe('clockOffsetOf', () => {
  const received = 1_800_000_000_000;

  it('leaves times alone without a sent-at or within the threshold, either way', () => {
    expect(clockOffsetOf(undefined, received)).toBe(0);
    expect(clockOffsetOf(received, received)).toBe(0);
    expect(clockOffsetOf(received - CLOCK_SKEW_THRESHOLD_MS, received)).toBe(0);
    expect(clockOffsetOf(received + CLOCK_SKEW_THRESHOLD_MS, received)).toBe(0);
  });

  it('moves times by receivedAt − sentAt beyond it: back for a fast clock, forward for a slow one', () => {
    expect(clockOffsetOf(received + 600_000, received)).toBe(-600_000);
    expect(clockOffsetOf(received - CLOCK_SKEW_THRESHOLD_MS - 1, received)).toBe(CLOCK_SKEW_THRESHOLD_MS + 1);
    expect(clockOffsetOf(0, received)).toBe(received);
  });

  it('takes another threshold', () => {
    expect(clockOffsetOf(received - 1500, received, 1000)).toBe(1500);
  });
});
