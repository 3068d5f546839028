/**
 * @jest-environment jsdom
 */
// jsdom: @grafana/data's display processors read `navigator` (number and date formatting locale).
import {
  DataSourceApi,
  type DataQueryRequest,
  type DataQueryResponse,
  FieldType,
  LoadingState,
  PanelPlugin,
  type PanelData,
  type PanelPluginMeta,
  createDataFrame,
} from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import { Observable, Subject } from 'rxjs';
import { HostBackendSrv } from './backend-srv';
import { initOptionRegistries } from './option-registries';
import { panelOptionsWithDefaults } from './panel-options';
import { type PanelRunInput, rangeFromRaw, runPanelQuery } from './panel-runner';
import { HostTemplateSrv } from './template-srv';
import { createTheme } from '@grafana/data';

// @grafana/runtime would load all of @grafana/ui (and want a DOM) for this one helper;
// the runner only needs an Error turned into a DataQueryError.
jest.mock('@grafana/runtime', () => ({ toDataQueryError: (error: Error) => ({ message: error.message }) }));

initOptionRegistries();

class FakeDataSource extends DataSourceApi<DataQuery> {
  readonly requests: DataQueryRequest[] = [];
  readonly stream = new Subject<DataQueryResponse>();
  teardowns = 0;

  constructor() {
    super({ id: 1, uid: 'fake', type: 'fake-ds', name: 'Fake', meta: {} as never, jsonData: {}, access: 'proxy', readOnly: true });
  }

  query(request: DataQueryRequest): Observable<DataQueryResponse> {
    this.requests.push(request);
    return new Observable((subscriber) => {
      const inner = this.stream.subscribe(subscriber);
      return () => {
        this.teardowns += 1;
        inner.unsubscribe();
      };
    });
  }

  override filterQuery(query: DataQuery): boolean {
    return query.hide !== true;
  }

  async testDatasource() {
    return { status: 'success', message: 'ok' };
  }
}

function frame(refId: string, values: number[]) {
  return createDataFrame({
    refId,
    fields: [
      { name: 'Time', type: FieldType.time, values: values.map((_, index) => 1000 * index) },
      { name: 'Value', type: FieldType.number, values },
    ],
  });
}

function setup() {
  const datasource = new FakeDataSource();
  // Standard field options exist only for panels that opt in, as in Grafana.
  const plugin = new PanelPlugin(() => null).useFieldConfig();
  plugin.meta = { id: 'test-panel', name: 'Test panel' } as PanelPluginMeta;
  const backendSrv = new HostBackendSrv();
  const cancelled: string[] = [];
  backendSrv.resolveCancelerIfExists = (id: string) => void cancelled.push(id);
  const { fieldConfig } = panelOptionsWithDefaults(plugin, {}, { defaults: { unit: 'reqps', thresholds: { mode: 'absolute' as never, steps: [{ value: null as never, color: 'green' }] } }, overrides: [] });
  const input: PanelRunInput = {
    datasource,
    panel: { id: 7, type: 'test-panel', title: 'T' },
    targets: [{ refId: 'A' }, { refId: 'B' }, { refId: 'C', hide: true }],
    range: rangeFromRaw({ from: 'now-5m', to: 'now' }),
    width: 600,
    dashboard: { uid: 'd', title: 'D', timezone: 'utc', liveNow: true },
    plugin,
    fieldConfig,
    templateSrv: new HostTemplateSrv('d'),
    backendSrv,
    theme: createTheme(),
  };
  const seen: PanelData[] = [];
  const subscription = runPanelQuery(input).subscribe((data) => seen.push(data));
  return { datasource, seen, subscription, cancelled, fieldConfig };
}

describe('runPanelQuery', () => {
  test('builds the request the way Grafana does', () => {
    const { datasource, subscription } = setup();
    const [request] = datasource.requests;
    expect(request?.targets.map((target) => target.refId)).toEqual(['A', 'B']);
    expect(request?.targets[0]?.datasource).toEqual({ type: 'fake-ds', uid: 'fake' });
    expect(request?.maxDataPoints).toBe(600);
    expect(request?.intervalMs).toBe(500);
    expect(request?.scopedVars.__interval?.value).toBe('500ms');
    expect(request?.panelId).toBe(7);
    expect(request?.liveStreaming).toBe(true);
    subscription.unsubscribe();
  });

  test('merges the latest packet of each key and applies the field config', () => {
    const { datasource, seen, subscription } = setup();
    datasource.stream.next({ key: 'A', state: LoadingState.Streaming, data: [frame('A', [1, 2])] });
    datasource.stream.next({ key: 'B', state: LoadingState.Streaming, data: [frame('B', [5])] });
    datasource.stream.next({ key: 'A', state: LoadingState.Streaming, data: [frame('A', [1, 2, 3])] });
    const last = seen[seen.length - 1] as PanelData;
    expect(last.state).toBe(LoadingState.Streaming);
    expect(last.series.map((series) => [series.refId, series.length])).toEqual([
      ['A', 3],
      ['B', 1],
    ]);
    const value = last.series[0]?.fields[1];
    expect(value?.config.unit).toBe('reqps');
    expect(value?.config.thresholds?.steps[0]?.value).toBe(-Infinity);
    expect(value?.display?.(2).text).toBe('2');
    subscription.unsubscribe();
  });

  test('a streaming time range moves with each packet', async () => {
    const { datasource, seen, subscription } = setup();
    datasource.stream.next({ key: 'A', state: LoadingState.Streaming, data: [frame('A', [1])] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    datasource.stream.next({ key: 'A', state: LoadingState.Streaming, data: [frame('A', [1, 2])] });
    const [first, second] = seen.slice(-2) as [PanelData, PanelData];
    expect(second.timeRange.to.valueOf()).toBeGreaterThan(first.timeRange.to.valueOf());
    subscription.unsubscribe();
  });

  test('shows Loading when nothing arrived within 200 ms', async () => {
    const { seen, subscription } = setup();
    expect(seen).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 260));
    expect(seen.map((data) => data.state)).toEqual([LoadingState.Loading]);
    subscription.unsubscribe();
  });

  test('an error becomes state Error and keeps the last series', () => {
    const { datasource, seen, subscription } = setup();
    datasource.stream.next({ key: 'A', state: LoadingState.Streaming, data: [frame('A', [1])] });
    datasource.stream.error(new Error('socket closed'));
    const last = seen[seen.length - 1] as PanelData;
    expect(last.state).toBe(LoadingState.Error);
    expect(last.errors?.[0]?.message).toBe('socket closed');
    expect(last.series).toHaveLength(1);
    subscription.unsubscribe();
  });

  test('a packet error marks the panel Error without ending the stream', () => {
    const { datasource, seen, subscription } = setup();
    datasource.stream.next({ key: 'A', state: LoadingState.Streaming, data: [], errors: [{ message: 'bad window' }] });
    datasource.stream.next({ key: 'B', state: LoadingState.Streaming, data: [frame('B', [1])] });
    const last = seen[seen.length - 1] as PanelData;
    expect(last.state).toBe(LoadingState.Error);
    expect(last.errors?.map((error) => error.message)).toEqual(['bad window']);
    expect(last.series).toHaveLength(1);
    subscription.unsubscribe();
  });

  test('unsubscribing tears the datasource stream down and cancels its requests', () => {
    const { datasource, subscription, cancelled } = setup();
    subscription.unsubscribe();
    expect(datasource.teardowns).toBe(1);
    expect(cancelled).toEqual([datasource.requests[0]?.requestId]);
  });
});
