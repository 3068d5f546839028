/**
 * The datasource's own QueryEditor for each query of one panel, with the
 * props Grafana's query editor rows give it in the panel editor: the
 * datasource instance, the query and its siblings, `onChange`, `onRunQuery`,
 * the panel's current data and time range, `app: panel-editor`. As in
 * Grafana, `onChange` only edits; the panel re-runs on `onRunQuery`.
 * Not emulated: adding/removing/reordering queries, query inspector, query
 * history, the datasource picker.
 */
import { CoreApp, type DataSourceApi, type PanelData, type TimeRange } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import { ErrorBoundaryAlert } from '@grafana/ui';
import React from 'react';
import type { PanelJson } from '../dashboard-model';

export interface QueryEditorViewProps {
  datasource: DataSourceApi;
  panel: PanelJson;
  targets: DataQuery[];
  data?: PanelData;
  range: TimeRange;
  onChange(targets: DataQuery[]): void;
  onRunQuery(): void;
}

export function QueryEditorView({ datasource, panel, targets, data, range, onChange, onRunQuery }: QueryEditorViewProps) {
  const Editor = datasource.components?.QueryEditor;
  if (Editor === undefined) {
    return <div data-testid="host-query-editor-missing">datasource {datasource.name} has no QueryEditor</div>;
  }
  return (
    <section data-testid="host-query-editor" style={{ padding: 16 }}>
      <h3 style={{ marginBottom: 8 }}>
        Queries of panel {panel.id}: {panel.title}
      </h3>
      {targets.map((target, index) => (
        <div key={target.refId} data-testid={`host-query-row-${target.refId}`} style={{ marginBottom: 16 }}>
          <div style={{ fontWeight: 500, marginBottom: 4 }}>{target.refId}</div>
          <ErrorBoundaryAlert>
            <Editor
              datasource={datasource}
              query={target}
              queries={targets}
              app={CoreApp.PanelEditor}
              data={data}
              range={range}
              onChange={(query: DataQuery) => onChange(targets.map((old, at) => (at === index ? query : old)))}
              onRunQuery={onRunQuery}
            />
          </ErrorBoundaryAlert>
        </div>
      ))}
    </section>
  );
}
