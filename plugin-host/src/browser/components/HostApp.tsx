/**
 * The host page: the dashboard's panels on Grafana's 24-column grid, and the
 * query editor of one panel (`?editPanel=<id>`, Grafana's parameter; by
 * default the first panel with queries on a served datasource). Edits in the
 * editor re-run only that panel, on `onRunQuery`. `?refresh=5s` or the
 * dashboard's `refresh` re-runs every panel at that interval, as Grafana's
 * auto-refresh does.
 */
import { type DataSourceApi, type PanelData, type RawTimeRange, rangeUtil } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Booted } from '../boot';
import { flattenPanels } from '../dashboard-model';
import { probe } from '../host-services';
import { rangeFromRaw } from '../panel-runner';
import { PanelView } from './PanelView';
import { QueryEditorView } from './QueryEditorView';
import { VariablesBar } from './VariablesBar';

const CELL_HEIGHT = 30;
const CELL_GAP = 8;
const NO_TARGETS: DataQuery[] = [];

export function HostApp({ booted, search }: { booted: Booted; search: URLSearchParams }) {
  const { services, variables } = booted;
  const panels = useMemo(() => flattenPanels(services.dashboard), [services.dashboard]);
  const [timeRaw, setTimeRaw] = useState<RawTimeRange>(booted.timeRaw);
  const [targets, setTargets] = useState<Record<number, DataQuery[]>>(() => Object.fromEntries(panels.map((panel) => [panel.id, panel.targets ?? []])));
  const latestTargets = useRef(targets);
  const [runKeys, setRunKeys] = useState<Record<number, number>>({});
  const [editedData, setEditedData] = useState<PanelData | undefined>(undefined);
  const [editorDatasource, setEditorDatasource] = useState<DataSourceApi | undefined>(undefined);
  const editorRange = useMemo(() => rangeFromRaw(timeRaw), [timeRaw]);

  const editPanel = useMemo(() => {
    const asked = Number(search.get('editPanel'));
    return panels.find((panel) => panel.id === asked) ?? panels.find((panel) => services.plugins.panels.has(panel.type) && (panel.targets?.length ?? 0) > 0);
  }, [panels, search, services.plugins.panels]);

  useEffect(() => {
    if (editPanel !== undefined) {
      services.datasourceSrv.get(editPanel.datasource ?? null).then(setEditorDatasource, () => setEditorDatasource(undefined));
    }
  }, [editPanel, services.datasourceSrv]);

  const rerun = useCallback((ids: number[]) => {
    setRunKeys((old) => ({ ...old, ...Object.fromEntries(ids.map((id) => [id, (old[id] ?? 0) + 1])) }));
  }, []);

  const refresh = search.get('refresh') ?? (services.dashboard.refresh || '');
  useEffect(() => {
    if (refresh === '') {
      return undefined;
    }
    const every = rangeUtil.intervalToMs(refresh);
    const timerId = window.setInterval(() => rerun(panels.map((panel) => panel.id)), every);
    return () => window.clearInterval(timerId);
  }, [refresh, panels, rerun]);

  useEffect(() => {
    probe().time = timeRaw;
    probe().ready = true;
  }, [timeRaw]);

  // Only the edited panel's data is kept here (its query editor gets it), so other panels' updates
  // do not re-render the page.
  const editId = editPanel?.id;
  const onData = useCallback((id: number, data: PanelData) => (id === editId ? setEditedData(data) : undefined), [editId]);
  const onChangeTimeRange = useCallback(
    (raw: RawTimeRange) => {
      setTimeRaw(raw);
      rerun(panels.map((panel) => panel.id));
    },
    [panels, rerun],
  );

  return (
    <div style={{ padding: 16 }} data-testid="host-ready">
      <header style={{ display: 'flex', gap: 24, alignItems: 'baseline', marginBottom: 12, flexWrap: 'wrap' }}>
        <h2 style={{ margin: 0 }} data-testid="host-dashboard-title">{services.dashboard.title ?? services.dashboardName}</h2>
        <span data-testid="host-time-range">{`${String(timeRaw.from)} to ${String(timeRaw.to)}`}{services.dashboard.liveNow ? ' (live now)' : ''}</span>
        <VariablesBar variables={variables} />
      </header>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(24, minmax(0, 1fr))', gridAutoRows: CELL_HEIGHT, gap: CELL_GAP }}>
        {panels.map((panel) => {
          const grid = panel.gridPos ?? { x: 0, y: 0, w: 12, h: 8 };
          return (
            <div key={panel.id} style={{ gridColumn: `${grid.x + 1} / span ${grid.w}`, gridRow: `${grid.y + 1} / span ${grid.h}`, minWidth: 0 }}>
              <PanelView
                services={services}
                panel={panel}
                targets={targets[panel.id] ?? NO_TARGETS}
                runKey={runKeys[panel.id] ?? 0}
                timeRaw={timeRaw}
                onData={onData}
                onChangeTimeRange={onChangeTimeRange}
              />
            </div>
          );
        })}
      </div>
      {editPanel !== undefined && editorDatasource !== undefined && (
        <QueryEditorView
          datasource={editorDatasource}
          panel={editPanel}
          targets={targets[editPanel.id] ?? []}
          data={editedData}
          range={editorRange}
          onChange={(next) => {
            // The ref lets an onChange followed at once by onRunQuery run the new queries.
            latestTargets.current = { ...latestTargets.current, [editPanel.id]: next };
            setTargets(latestTargets.current);
          }}
          onRunQuery={() => {
            setTargets(latestTargets.current);
            rerun([editPanel.id]);
          }}
        />
      )}
    </div>
  );
}
