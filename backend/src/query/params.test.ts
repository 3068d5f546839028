/**
 * integerParam: the millisecond parameters of the read routes (from, to, size, slide,
 * maxPoints) are safe integers or a coded refusal, never ±Infinity or a rounded number.
 */
import { integerParam } from './params';

const read = (raw: string) => integerParam(new URLSearchParams({ from: raw }), 'from');
const refused = expect.objectContaining({ code: 'PANECAST_ERR_QUERY_INVALID', message: expect.stringContaining('must be an integer of milliseconds') });

describe('integerParam', () => {
  it('reads integers of milliseconds, negative ones included', () => {
    expect(read('1700000000000')).toBe(1_700_000_000_000);
    expect(read('-5')).toBe(-5);
    expect(read(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(read(String(Number.MIN_SAFE_INTEGER))).toBe(Number.MIN_SAFE_INTEGER);
  });

  it('refuses digits that do not read as a safe integer: 309 of them are Infinity', () => {
    // `from=-999…9` read as -Infinity sent GET /v1/history's slide suggestion into an endless loop.
    for (const raw of [`-${'9'.repeat(400)}`, '9'.repeat(400), String(Number.MAX_SAFE_INTEGER + 2), '100000000000000000000']) {
      expect(() => read(raw)).toThrow(refused);
    }
  });

  it('refuses what is not an integer, naming only the start of a long value', () => {
    for (const raw of ['1.5', '1e3', ' 1', 'Infinity', '0x10']) {
      expect(() => read(raw)).toThrow(refused);
    }
    expect(() => read(`x${'1'.repeat(5000)}`)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('1'.repeat(100)) }));
  });
});
