import { DataSourceInstanceSettings, dateTime, DataQueryRequest, FieldType } from '@grafana/data';
import { of, throwError } from 'rxjs';

import { DataSource } from './datasource';
import { MyDataSourceOptions, MyQuery } from './types';

const fetchMock = jest.fn();

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: fetchMock }),
}));

const instanceSettings = {
  uid: 'panecast-live',
  type: 'panecast-live-datasource',
  name: 'Panecast Live',
  url: '/api/datasources/proxy/uid/panecast-live',
  access: 'proxy',
  readOnly: false,
  jsonData: {},
  meta: {} as DataSourceInstanceSettings['meta'],
} as DataSourceInstanceSettings<MyDataSourceOptions>;

function request(targets: MyQuery[]): DataQueryRequest<MyQuery> {
  const from = dateTime(1_700_000_000_000);
  const to = dateTime(1_700_000_060_000);
  return {
    requestId: 'test',
    interval: '1s',
    intervalMs: 1000,
    range: { from, to, raw: { from, to } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  };
}

describe('DataSource', () => {
  beforeEach(() => fetchMock.mockReset());

  it('returns a Time/Value frame holding the constant for each query', async () => {
    const ds = new DataSource(instanceSettings);
    const res = await ds.query(request([{ refId: 'A', constant: 10, queryText: 'test query' }]));

    expect(res.data).toHaveLength(1);
    const frame = res.data[0];
    expect(frame.refId).toBe('A');
    expect(frame.fields.map((f: { name: string }) => f.name)).toEqual(['Time', 'Value']);
    expect(frame.fields[0].type).toBe(FieldType.time);
    expect(frame.fields[0].values).toEqual([1_700_000_000_000, 1_700_000_060_000]);
    expect(frame.fields[1].values).toEqual([10, 10]);
  });

  it('skips queries without query text', () => {
    const ds = new DataSource(instanceSettings);
    expect(ds.filterQuery({ refId: 'A', constant: 1 })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', constant: 1, queryText: 'x' })).toBe(true);
  });

  it('"Save & test" succeeds when the health endpoint answers 200', async () => {
    fetchMock.mockReturnValue(of({ status: 200, statusText: 'OK', data: {} }));
    const ds = new DataSource(instanceSettings);

    await expect(ds.testDatasource()).resolves.toEqual({ status: 'success', message: 'Success' });
    expect(fetchMock).toHaveBeenCalledWith({ url: '/api/datasources/proxy/uid/panecast-live/health' });
  });

  it('"Save & test" reports an error when the health endpoint fails', async () => {
    fetchMock.mockReturnValue(
      throwError(() => ({ status: 502, statusText: 'Bad Gateway', data: { error: { code: 'E1', message: 'down' } } }))
    );
    const ds = new DataSource(instanceSettings);

    await expect(ds.testDatasource()).resolves.toEqual({
      status: 'error',
      message: 'Fetch error: Bad Gateway: E1. down',
    });
  });
});
