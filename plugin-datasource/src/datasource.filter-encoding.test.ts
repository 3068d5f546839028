/**
 * Filter values that hold commas, quotes, backslashes, brackets or any unicode reach the backend's
 * read routes exactly (the JSON form of `filter.<dimension>`, query-model.ts filterParams): the
 * history read selects the series the live subscription selects, for the query's own filters, the
 * ad-hoc filters and the value lookups alike. The fake backend filters history as the real one
 * reads the query string (test-support/backend-filter.ts), so a value sent split shows the wrong series.
 */
import { type AdHocVariableFilter, type DataFrame, type DataQueryResponse } from '@grafana/data';

import type { DataSource } from './datasource';
import { filterParams } from './query-model';
import { backendFilter, passes } from './test-support/backend-filter';
import type { FakeBackend } from './test-support/fake-backend';
import type { FakeLiveServer } from './test-support/fake-live-server';
import type { HistoryTruth } from './test-support/history-truth';
import { NOW, TARGET, last, request, rows, settle as settleRig, startQueryRig } from './test-support/query-harness';
import type { PanecastQuery } from './types';

/** Values a comma-joined parameter, or a naive escape, gets wrong. */
const AWKWARD = ['Washington, DC', '[id]', ']', 'say "hi"', "it's", 'back\\slash\\,', 'a+b %2C&c=d#e', 'Zürich 東京 🚀', '\u2028'];
/** What a comma-split of "Washington, DC" would select instead. */
const PIECES = ['Washington', ' DC'];

const f = (key: string, operator: string, value: string, values?: string[]): AdHocVariableFilter => ({ key, operator, value, ...(values !== undefined ? { values } : {}) });

describe('filterParams', () => {
  it.each([
    ["Grafana's serializeParams", false],
    ["Grafana's AngularJS-style encoding", true],
  ])('round-trips any value through %s and the backend reading', (_how, angular) => {
    const filter = { city: [...AWKWARD, ''], type: ['click'], 'user agent': ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)'] };
    expect(backendFilter(filterParams(filter), angular)).toEqual(filter);
    for (const value of [...AWKWARD, '', '[', '["a"]', '\\"', '\u0000']) {
      expect(backendFilter(filterParams({ city: [value] }), angular)).toEqual({ city: [value] });
    }
  });
});

describe('DataSource: filter values with commas and other awkward characters', () => {
  let backend: FakeBackend;
  let server: FakeLiveServer;
  let truth: HistoryTruth;
  let ds: DataSource;

  beforeEach(() => {
    ({ backend, server, truth, ds } = startQueryRig());
    // History as the backend answers it: only the series the decoded filter accepts.
    backend.history = (params) => {
      const answer = truth.answer(params);
      const filter = backendFilter(params);
      return { ...answer, groups: answer.groups.filter((g) => passes(filter, g.group)) };
    };
    [...AWKWARD, ...PIECES, 'click'].forEach((type, i) => truth.set({ type }, NOW - 5000, i + 1, true));
  });
  afterEach(() => jest.useRealTimers());

  async function run(target: PanecastQuery, filters?: AdHocVariableFilter[]): Promise<{ frames: DataFrame[]; stop: () => void }> {
    const responses: DataQueryResponse[] = [];
    const subscription = ds.query({ ...request([target]), ...(filters !== undefined ? { filters } : {}) }).subscribe((r) => responses.push(r));
    await settleRig(server);
    expect(last(responses).errors).toBeUndefined();
    return { frames: last(responses).data as DataFrame[], stop: () => subscription.unsubscribe() };
  }

  /** Frame name → rows, for the series the panel shows. */
  const shown = (frames: DataFrame[]) => Object.fromEntries(frames.map((frame) => [frame.name, rows(frame)]));
  const valueOf = (type: string) => [...AWKWARD, ...PIECES, 'click'].indexOf(type) + 1;

  it("reads history of the query editor's own filter exactly, as the live subscription selects it", async () => {
    const { frames, stop } = await run({ ...TARGET, filters: [{ dimension: 'type', values: AWKWARD }] });

    const history = backend.calls('/v1/history')[0]!.params;
    expect(backendFilter(history)).toEqual({ type: AWKWARD });
    expect(backendFilter(history, true)).toEqual({ type: AWKWARD });
    expect(server.framesOf('subscribe')[0]!.query).toMatchObject({ filter: { type: AWKWARD } });
    // Exactly the awkward series: none of the pieces a comma-split would have asked for.
    expect(shown(frames)).toEqual(Object.fromEntries(AWKWARD.map((type) => [type, [`-5=${valueOf(type)}`]])));
    stop();
  });

  it('applies ad-hoc filters with such values to history and live alike', async () => {
    const adhoc = [f('type', '=|', '', ['Washington, DC', 'say "hi"', '[id]']), f('type', '=~', 'Washington, DC|\\[id\\]')];
    const { frames, stop } = await run(TARGET, adhoc);

    const expected = { type: ['Washington, DC', '[id]'] };
    expect(backendFilter(backend.calls('/v1/history')[0]!.params)).toEqual(expected);
    expect(server.framesOf('subscribe')[0]!.query).toMatchObject({ filter: expected });
    expect(shown(frames)).toEqual({ 'Washington, DC': ['-5=1'], '[id]': ['-5=2'] });
    stop();
  });

  it('narrows value lookups by such values exactly', async () => {
    backend.dimensions = { 'active_players.region': ['eu'], 'matches.region': ['us'] };
    const answer = await ds.getTagValues({ key: 'region', filters: [f('mode', '=|', '', ['ranked, solo', '[beta]']), f('result', '=', 'win, "overtime"')] });

    expect(answer.data.map((v) => v.value)).toEqual(['eu', 'us']);
    expect(backend.calls('/v1/dimensions').map((c) => backendFilter(c.params))).toEqual([
      { mode: ['ranked, solo', '[beta]'] },
      { mode: ['ranked, solo', '[beta]'], result: ['win, "overtime"'] },
    ]);
  });
});
