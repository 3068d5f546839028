/**
 * What the history port's read side must answer, run against the memory
 * twin (unit tests) and VictoriaMetrics (services tests) with the same
 * samples and the same expected answers, so the twin cannot drift from the
 * store it stands in for: left-open windows, '' as an absent label, larger
 * value kept on a re-write, escaping of label names and values.
 */
import type { AggregatedSeries, History, RangeAggregation } from '../src/store/history';

const S = 1000;

/** Groups in a fixed order: VictoriaMetrics returns them in any order. */
export function sortSeries(series: readonly AggregatedSeries[]): AggregatedSeries[] {
  return [...series].sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
}

export function historyContract(title: string, make: () => Promise<History>, flush: () => Promise<void> = async () => {}): void {
  describe(`${title} history reads`, () => {
    let history: History;
    // A name and a time of their own, so runs against one VictoriaMetrics do not meet.
    const name = `panecast_contract_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const t0 = Math.floor((Date.now() - 3_600_000) / 10_000) * 10_000;
    const at = (seconds: number) => t0 + seconds * S;

    beforeAll(async () => {
      history = await make();
      const sample = (labels: Record<string, string>, seconds: number, value: number) => ({ name, labels, timestamp: at(seconds), value });
      await history.writeSamples([
        ...[1, 2, 3, 4].map((s) => sample({ route: '/a', window: '1s' }, s, s)),
        sample({ route: '/b', window: '1s' }, 2, 10),
        sample({ route: '/b', window: '1s' }, 4, 20),
        sample({ window: '1s' }, 3, 100),
        // The same series as the one above: empty labels are absent ones.
        sample({ route: '', window: '1s', kind: '' }, 5, 50),
        sample({ route: '/a', window: '1m' }, 4, 1000),
        sample({ route: '/b', kind: 'e', window: '1s' }, 4, 7),
        sample({ 'a.b-c': 'x"y', window: '1s' }, 1, 5),
        sample({ route: 'xzy', window: '1s' }, 1, 1),
      ]);
      // Re-writes: the same value again, and a larger one for the same instant.
      await history.writeSamples([sample({ route: '/a', window: '1s' }, 3, 3), sample({ route: '/b', kind: 'e', window: '1s' }, 4, 9)]);
      await flush();
    });

    const cases: Array<[string, Omit<RangeAggregation, 'name'>, Array<[Record<string, string>, Array<[number, number]>]>]> = [
      [
        'sums over left-open windows, grouping absent labels as empty',
        { match: { window: ['1s'] }, op: 'sum', by: ['route'], windowMs: 2 * S, start: at(2), end: at(5), stepMs: S },
        [
          [{ route: '' }, [[2, 5], [3, 100], [4, 100], [5, 50]]],
          [{ route: '/a' }, [[2, 3], [3, 5], [4, 7], [5, 4]]],
          [{ route: '/b' }, [[2, 10], [3, 10], [4, 29], [5, 29]]],
          [{ route: 'xzy' }, [[2, 1]]],
        ],
      ],
      [
        'takes the max over several values of one label',
        { match: { route: ['/a', '/b'], window: ['1s'] }, op: 'max', by: [], windowMs: S, start: at(1), end: at(4), stepMs: S },
        [[{}, [[1, 1], [2, 10], [3, 3], [4, 20]]]],
      ],
      [
        "matches an absent label with ''",
        { match: { route: [''], 'a.b-c': [''], window: ['1s'] }, op: 'min', by: ['route'], windowMs: 5 * S, start: at(5), end: at(5), stepMs: S },
        [[{ route: '' }, [[5, 50]]]],
      ],
      [
        'groups by two labels over a long window and a step that skips instants',
        { match: { route: ['/a', '/b'] }, op: 'sum', by: ['route', 'window'], windowMs: 4 * S, start: at(0), end: at(5), stepMs: 4 * S },
        [
          [{ route: '/a', window: '1m' }, [[4, 1000]]],
          [{ route: '/a', window: '1s' }, [[4, 10]]],
          [{ route: '/b', window: '1s' }, [[4, 39]]],
        ],
      ],
      [
        'escapes label names and values',
        { match: { 'a.b-c': ['x"y'] }, op: 'sum', by: ['a.b-c'], windowMs: S, start: at(1), end: at(1), stepMs: S },
        [[{ 'a.b-c': 'x"y' }, [[1, 5]]]],
      ],
      [
        'reads regular-expression characters in values literally',
        { match: { route: ['x.y', 'q(', '/a|/b'] }, op: 'sum', by: [], windowMs: 10 * S, start: at(9), end: at(9), stepMs: S },
        [],
      ],
    ];

    it.each(cases)('%s', async (_title, query, expected) => {
      const answer = sortSeries(await history.aggregate({ name, ...query }));
      expect(answer).toEqual(expected.map(([labels, points]) => ({ labels, points: points.map(([s, value]) => [at(s), value]) })));
    });
  });
}
