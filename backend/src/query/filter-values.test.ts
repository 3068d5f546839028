/**
 * decodeFilterValues: the two forms of a `filter.<dimension>` parameter, read through
 * URLSearchParams as the routes read them.
 */
import { PanecastError } from '../errors';
import { decodeFilterValues } from './filter-values';
import { filterParams } from './params';

/** Through a real query string, so percent-encoding is part of the round trip. */
function roundTrip(values: string[]): string[] {
  const query = new URLSearchParams({ 'filter.city': JSON.stringify(values) }).toString();
  return filterParams(new URLSearchParams(query)).city as string[];
}

const AWKWARD = ['Washington, DC', ',', ',,', '\\', '\\,', '[', ']', '[x]', '"', '\'', '""', 'a=b&c=d', '%2C', '+', ' ', '', 'Zürich 東京 🚀', '\u0000\u2028', 'x'.repeat(256)];

describe('decodeFilterValues', () => {
  it('reads the short form as before: values separated by commas', () => {
    expect(decodeFilterValues('filter.country', 'FR,DE')).toEqual(['FR', 'DE']);
    expect(decodeFilterValues('filter.country', 'FR')).toEqual(['FR']);
    expect(decodeFilterValues('filter.country', '')).toEqual(['']);
    expect(decodeFilterValues('filter.city', 'Washington, DC')).toEqual(['Washington', ' DC']);
    // Only a leading `[` selects the JSON form.
    expect(decodeFilterValues('filter.route', 'a[0],b')).toEqual(['a[0]', 'b']);
    expect(decodeFilterValues('filter.route', ' ["a"]')).toEqual([' ["a"]']);
  });

  it.each(AWKWARD.map((value) => [value]))('round-trips %j alone and among others in the JSON form', (value) => {
    expect(roundTrip([value])).toEqual([value]);
    expect(roundTrip(['FR', value, 'Washington, DC'])).toEqual([...new Set(['FR', value, 'Washington, DC'])]);
  });

  it("takes at most the live channel's 100 values of at most 256 characters, in either form", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `v${i}`);
    expect(decodeFilterValues('filter.route', hundred.join(','))).toHaveLength(100);
    expect(decodeFilterValues('filter.route', JSON.stringify(['y'.repeat(256)]))).toEqual(['y'.repeat(256)]);
    for (const raw of [[...hundred, 'v100'].join(','), JSON.stringify([...hundred, 'v100'])]) {
      expect(() => decodeFilterValues('filter.route', raw)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_QUERY_INVALID', message: expect.stringContaining('at most 100 values') }));
    }
    for (const raw of [`a,${'y'.repeat(257)}`, JSON.stringify(['a', 'y'.repeat(257)])]) {
      expect(() => decodeFilterValues('filter.route', raw)).toThrow(expect.objectContaining({ message: expect.stringContaining('filter.route[1]') }));
    }
  });

  it('refuses a lone surrogate, which MetricsQL refuses (the history read answered 503), and keeps pairs', () => {
    for (const raw of ['["\\ud800"]', '["ok","x\\udfffy"]', '["\\ude80\\ud83d"]']) {
      expect(() => decodeFilterValues('filter.city', raw)).toThrow(
        expect.objectContaining({ code: 'PANECAST_ERR_QUERY_INVALID', message: expect.stringContaining('lone UTF-16 surrogate') }),
      );
    }
    expect(decodeFilterValues('filter.city', '["\\ud83d\\ude80"]')).toEqual(['🚀']);
  });

  it('round-trips every awkward value in one list', () => {
    expect(roundTrip(AWKWARD)).toEqual(AWKWARD);
  });

  it('reads numbers and booleans as text, as the live channel does, and drops repeats', () => {
    expect(decodeFilterValues('filter.status', '[200, 404.5, true, "200"]')).toEqual(['200', '404.5', 'true']);
  });

  it.each([
    ['["a"', 'filter.city'],
    ['[a]', 'filter.city'],
    ['["a",]', 'filter.city'],
    ['[]', 'filter.city'],
    ['[["a"]]', 'filter.city[0]'],
    ['["a",{}]', 'filter.city[1]'],
    ['[null]', 'filter.city[0]'],
    ['[1e999]', 'filter.city[0]'],
  ])('refuses %s with PANECAST_ERR_QUERY_INVALID naming %s', (raw, field) => {
    let thrown: unknown;
    try {
      decodeFilterValues('filter.city', raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PanecastError);
    expect((thrown as PanecastError).code).toBe('PANECAST_ERR_QUERY_INVALID');
    expect((thrown as PanecastError).message.startsWith(`Invalid query: ${field} `)).toBe(true);
  });
});
