import { GAMES_CATALOGUE } from './test-support/fake-backend';
import { formatDuration, historyOnlyHint, historyParams, liveServes, parseDuration, resolveQuery, sizeChoices, slideChoices, toSubscribeQuery, validateQuery } from './query-model';
import type { PanecastQuery } from './types';

const base: PanecastQuery = { refId: 'A', metric: 'matches', aggregate: 'p99', window: { type: 'tumbling', size: '10s' } };
const codes = (q: Partial<PanecastQuery>, catalogue = GAMES_CATALOGUE) => validateQuery({ ...base, ...q }, catalogue).map((p) => `${p.field}:${p.code}`);

describe('durations', () => {
  it('parses and formats the units the editor offers', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('1.5s')).toBeUndefined();
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1500)).toBe('1500ms');
  });

  it('offers only sizes and slides the engine can compose from its pane', () => {
    expect(sizeChoices(1000).slice(0, 4)).toEqual([1000, 2000, 5000, 10_000]);
    expect(sizeChoices(5000).slice(0, 3)).toEqual([5000, 10_000, 15_000]);
    expect(sizeChoices(5000)).not.toContain(2000);
    expect(slideChoices(1000, 10_000)).toEqual([1000, 2000, 5000, 10_000]);
  });
});

describe('validateQuery', () => {
  it('accepts a query the engine can serve', () => {
    expect(codes({})).toEqual([]);
    expect(codes({ aggregate: 'quantile(0.999)', window: { type: 'sliding', size: '1m', slide: '5s' }, groupBy: ['region'] })).toEqual([]);
  });

  it('names the metric, aggregate and dimension problems with the backend codes', () => {
    expect(codes({ metric: 'nope' })).toEqual(['metric:PANECAST_ERR_QUERY_UNKNOWN_METRIC']);
    expect(codes({ metric: 'events', aggregate: 'p99' })).toEqual(['aggregate:PANECAST_ERR_QUERY_AGGREGATE']);
    expect(codes({ metric: 'active_players', aggregate: 'quantile(0.5)' })).toEqual(['aggregate:PANECAST_ERR_QUERY_AGGREGATE']);
    expect(codes({ aggregate: 'quantile(2)' })).toEqual(['quantile:PANECAST_ERR_QUERY_INVALID']);
    expect(codes({ groupBy: ['region', 'colour'] })).toEqual(['groupBy:PANECAST_ERR_QUERY_UNKNOWN_DIMENSION']);
    expect(codes({ filters: [{ dimension: 'colour', values: ['red'] }] })).toEqual(['filters:PANECAST_ERR_QUERY_UNKNOWN_DIMENSION']);
    expect(codes({ filters: [{ dimension: 'region', values: [] }] })).toEqual(['filters:PANECAST_ERR_QUERY_INVALID']);
    expect(codes({ filters: [{ dimension: '', values: [] }] })).toEqual([]);
  });

  it('applies the engine window rules: pane multiples, slide at most the size', () => {
    expect(codes({ window: { type: 'tumbling', size: '1500ms' } })).toEqual(['window.size:PANECAST_ERR_WINDOW_SIZE']);
    expect(codes({ window: { type: 'tumbling', size: 'soon' } })).toEqual(['window.size:PANECAST_ERR_WINDOW_SIZE']);
    expect(codes({ window: { type: 'sliding', size: '10s', slide: '1500ms' } })).toEqual(['window.slide:PANECAST_ERR_WINDOW_SLIDE']);
    expect(codes({ window: { type: 'sliding', size: '10s', slide: '1m' } })).toEqual(['window.slide:PANECAST_ERR_WINDOW_SLIDE_EXCEEDS_SIZE']);
    expect(codes({ window: { type: 'sliding', size: '10s' } })).toEqual(['window.slide:PANECAST_ERR_WINDOW_SLIDE']);
    expect(codes({ window: { type: 'tumbling', size: '5s' } }, { ...GAMES_CATALOGUE, paneMs: 10_000 })).toEqual(['window.size:PANECAST_ERR_WINDOW_SIZE']);
  });

  it('leaves fields holding variables for after interpolation', () => {
    expect(codes({ metric: '$metric', aggregate: '$agg', window: { type: 'sliding', size: '$size', slide: '${slide}' } })).toEqual([]);
  });
});

describe('the requests a query becomes', () => {
  const resolved = resolveQuery(
    { ...base, window: { type: 'sliding', size: '1m', slide: '10s' }, groupBy: ['region'], filters: [{ dimension: 'platform', values: ['pc', 'xbox'] }, { dimension: '', values: [] }] },
    1000,
  );

  it('maps onto the protocol subscribe query in ms', () => {
    expect(toSubscribeQuery(resolved)).toEqual({
      metric: 'matches',
      aggregate: 'p99',
      window: { type: 'sliding', size: 60_000, slide: 10_000 },
      groupBy: ['region'],
      filter: { platform: ['pc', 'xbox'] },
    });
    expect(toSubscribeQuery(resolveQuery({ ...base, window: { type: 'sliding', size: '10s', slide: '10s' } }, 1000)).window).toEqual({ type: 'tumbling', size: 10_000 });
  });

  it('maps onto the history parameters of the contract', () => {
    expect(historyParams(resolved, 1000, 2000, 500)).toEqual({
      metric: 'matches',
      aggregate: 'p99',
      size: '60000',
      slide: '10000',
      from: '1000',
      to: '2000',
      maxPoints: '500',
      groupBy: 'region',
      // The JSON form (backend/src/query/filter-values.ts): any value, commas included, reads back exactly.
      'filter.platform': '["pc","xbox"]',
    });
  });
});

describe('the live window limit', () => {
  it('streams windows up to the fine tier (1 h) and notes that longer ones with Live on are history only', () => {
    expect(liveServes(3_600_000)).toBe(true);
    expect(liveServes(3_600_001)).toBe(false);
    expect(historyOnlyHint({ ...base, window: { type: 'tumbling', size: '1h' } })).toBeUndefined();
    expect(historyOnlyHint({ ...base, window: { type: 'sliding', size: '61m', slide: '1m' } })).toMatch(/^History only: live updates cover windows up to 1h, so a 61m window/);
    // Live off: history only anyway; a variable: known only once interpolated (query() decides then).
    expect(historyOnlyHint({ ...base, live: false, window: { type: 'tumbling', size: '2h' } })).toBeUndefined();
    expect(historyOnlyHint({ ...base, window: { type: 'tumbling', size: '$window' } })).toBeUndefined();
  });

  it('uses the limit the backend announces (the catalogue\'s maxLiveWindowMs)', () => {
    expect(liveServes(7_200_000, 7_200_000)).toBe(true);
    expect(liveServes(3_600_000, 1_800_000)).toBe(false);
    expect(historyOnlyHint({ ...base, window: { type: 'tumbling', size: '2h' } }, 7_200_000)).toBeUndefined();
    expect(historyOnlyHint({ ...base, window: { type: 'tumbling', size: '1h' } }, 1_800_000)).toMatch(/^History only: live updates cover windows up to 30m, so a 1h window/);
  });
});
