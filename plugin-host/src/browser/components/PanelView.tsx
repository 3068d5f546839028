/**
 * One dashboard panel: Grafana's panel chrome around the panel plugin's
 * component, fed by the panel runner. Like Grafana's panel state wrapper it
 * keeps showing the previous data while a new run is loading, passes the live
 * time range when the dashboard is "live now" (else the data's), lets the
 * panel change its own options, and catches a panel that throws.
 */
import { EventBusSrv, LoadingState, type PanelData, type RawTimeRange, type DataSourceApi } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import { ErrorBoundaryAlert, PanelChrome, PanelContextProvider } from '@grafana/ui';
import React, { memo, useEffect, useMemo, useState } from 'react';
import type { PanelJson } from '../dashboard-model';
import { type HostServices, recordPanelData } from '../host-services';
import { useLiveTime } from '../live-time';
import { panelOptionsWithDefaults } from '../panel-options';
import { rangeFromRaw, runPanelQuery } from '../panel-runner';
import { useElementSize } from '../use-element-size';

export interface PanelViewProps {
  services: HostServices;
  panel: PanelJson;
  targets: DataQuery[];
  /** Bumped to re-run the query (query editor, refresh, time change). */
  runKey: number;
  timeRaw: RawTimeRange;
  onData(panelId: number, data: PanelData): void;
  onChangeTimeRange(raw: RawTimeRange): void;
}

function Message({ text }: { text: string }) {
  return <div style={{ padding: 8 }} data-testid="host-panel-message">{text}</div>;
}

/** Memoised: the page re-renders when the edited panel's data changes; the other panels need not. */
export const PanelView = memo(function PanelView({ services, panel, targets, runKey, timeRaw, onData, onChangeTimeRange }: PanelViewProps) {
  const [boxRef, size] = useElementSize<HTMLDivElement>();
  const plugin = services.plugins.panels.get(panel.type);
  const [datasource, setDatasource] = useState<DataSourceApi | undefined>(undefined);
  const [setupError, setSetupError] = useState<string | undefined>(undefined);
  const [data, setData] = useState<PanelData | undefined>(undefined);
  const [renderCounter, setRenderCounter] = useState(0);
  const eventBus = useMemo(() => new EventBusSrv(), []);
  const defaults = useMemo(
    () => (plugin ? panelOptionsWithDefaults(plugin, panel.options, panel.fieldConfig) : undefined),
    [plugin, panel.options, panel.fieldConfig],
  );
  const [options, setOptions] = useState(defaults?.options);
  const [fieldConfig, setFieldConfig] = useState(defaults?.fieldConfig);
  const range = useMemo(() => rangeFromRaw(timeRaw), [timeRaw, runKey]);
  const liveTime = useLiveTime(timeRaw, range, size.width, services.dashboard.liveNow === true);

  useEffect(() => {
    if (plugin === undefined) {
      return;
    }
    services.datasourceSrv.get(panel.datasource ?? null).then(setDatasource, (error: unknown) => setSetupError(String(error)));
  }, [plugin, panel.datasource, services.datasourceSrv]);

  useEffect(() => {
    if (plugin === undefined || datasource === undefined || fieldConfig === undefined || size.width === 0) {
      return undefined;
    }
    services.templateSrv.updateTimeRange(range);
    let first = true;
    const subscription = runPanelQuery({
      datasource,
      panel,
      targets,
      range,
      // The width when this run starts (maxDataPoints), as Grafana takes it per query run.
      width: size.width,
      dashboard: {
        uid: services.dashboard.uid ?? services.dashboardName,
        title: services.dashboard.title ?? services.dashboardName,
        timezone: services.timeZone,
        liveNow: services.dashboard.liveNow === true,
      },
      plugin,
      fieldConfig,
      templateSrv: services.templateSrv,
      backendSrv: services.backendSrv,
      theme: services.theme,
    }).subscribe((next) => {
      setData((previous) =>
        // Loading with nothing yet: keep what is on screen (Grafana's preProcessPanelData).
        next.state === LoadingState.Loading && next.series.length === 0 && previous ? { ...previous, state: LoadingState.Loading } : next,
      );
      setRenderCounter((count) => count + 1);
      recordPanelData(panel.id, next, first);
      first = false;
      onData(panel.id, next);
    });
    return () => subscription.unsubscribe();
    // Re-run only on an explicit run (runKey), a new datasource or field config, or the first measured width.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runKey, datasource, fieldConfig, size.width === 0]);

  const errorText = setupError ?? data?.errors?.map((error) => error.message).join('; ') ?? data?.error?.message;
  return (
    <div ref={boxRef} style={{ width: '100%', height: '100%' }} data-testid={`host-panel-${panel.id}`} data-state={data?.state ?? 'NotStarted'}>
      {size.width > 0 && (
        <PanelChrome
          width={size.width}
          height={size.height}
          title={services.templateSrv.replace(panel.title ?? '')}
          loadingState={data?.state}
          statusMessage={errorText}
          displayMode={panel.transparent ? 'transparent' : 'default'}
        >
          {(innerWidth, innerHeight) => {
            if (plugin === undefined) {
              return <Message text={`panel type "${panel.type}" is not served by the plugin host`} />;
            }
            if (panel.transformations?.length) {
              return <Message text="transformations are not emulated by the plugin host" />;
            }
            if (data === undefined || options === undefined || fieldConfig === undefined) {
              return <Message text={setupError ?? 'waiting for data…'} />;
            }
            const Panel = plugin.panel;
            if (Panel === null || Panel === undefined) {
              return <Message text={`panel plugin "${panel.type}" has no panel component`} />;
            }
            return (
              <ErrorBoundaryAlert dependencies={[data]}>
                <PanelContextProvider value={{ eventsScope: 'global', eventBus }}>
                  <Panel
                    id={panel.id}
                    data={data}
                    title={services.templateSrv.replace(panel.title ?? '')}
                    timeRange={liveTime ?? data.timeRange}
                    timeZone={services.timeZone}
                    options={options}
                    fieldConfig={fieldConfig}
                    transparent={panel.transparent === true}
                    width={innerWidth}
                    height={innerHeight}
                    renderCounter={renderCounter}
                    eventBus={eventBus}
                    onOptionsChange={setOptions}
                    onFieldConfigChange={setFieldConfig}
                    replaceVariables={(value, scopedVars, format) => services.templateSrv.replace(value, { ...data.request?.scopedVars, ...scopedVars }, format)}
                    onChangeTimeRange={(absolute) => onChangeTimeRange({ from: String(absolute.from), to: String(absolute.to) })}
                  />
                </PanelContextProvider>
              </ErrorBoundaryAlert>
            );
          }}
        </PanelChrome>
      )}
    </div>
  );
});
