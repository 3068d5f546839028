import { applyGroupByKeys } from './group-by';

const MATCHES = ['region', 'platform', 'mode', 'result'];

describe('applyGroupByKeys', () => {
  it('appends the keys the query lacks, in the variable order, after its own', () => {
    expect(applyGroupByKeys(['mode'], ['result', 'region', 'mode'], MATCHES)).toEqual({ kind: 'groupBy', groupBy: ['mode', 'result', 'region'] });
  });

  it('skips keys the metric does not declare, empty keys and repeats', () => {
    expect(applyGroupByKeys([], ['type', '', 'region', 'region'], MATCHES)).toEqual({ kind: 'groupBy', groupBy: ['region'] });
  });

  it('keeps the query as it is without a variable or with nothing chosen', () => {
    expect(applyGroupByKeys(['mode'], undefined, MATCHES)).toEqual({ kind: 'groupBy', groupBy: ['mode'] });
    expect(applyGroupByKeys(['mode'], [], MATCHES)).toEqual({ kind: 'groupBy', groupBy: ['mode'] });
  });

  it('sends every key while the dimensions are unknown', () => {
    expect(applyGroupByKeys(['mode'], ['type', 'region'], undefined)).toEqual({ kind: 'groupBy', groupBy: ['mode', 'type', 'region'] });
  });

  it('takes a single key given as text', () => {
    expect(applyGroupByKeys([], 'region', MATCHES)).toEqual({ kind: 'groupBy', groupBy: ['region'] });
  });

  it('refuses a union longer than the limit only when the variable made it so', () => {
    expect(applyGroupByKeys(['a', 'b'], ['c'], undefined, 2)).toEqual({
      kind: 'too-many',
      code: 'PANECAST_ERR_QUERY_INVALID',
      message: "Invalid query: groupBy must list at most 2 dimensions; with the dashboard's group-by variable it lists 3",
    });
    expect(applyGroupByKeys(['a', 'b'], ['a', 'b'], undefined, 2)).toEqual({ kind: 'groupBy', groupBy: ['a', 'b'] });
    expect(applyGroupByKeys(['a', 'b', 'c'], [], undefined, 2)).toEqual({ kind: 'groupBy', groupBy: ['a', 'b', 'c'] });
  });
});
