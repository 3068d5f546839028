/**
 * Everything the host set up once, handed to the React tree, plus the
 * window-level probe the browser tests read: the PanelData each panel was
 * last given, and a copy of the first non-empty data of each run, so a test
 * can check values the panel only draws on a canvas, and what came first.
 */
import { FieldType, type GrafanaTheme2, type PanelData, type RawTimeRange } from '@grafana/data';
import type { HostBackendSrv } from './backend-srv';
import type { DashboardJson } from './dashboard-model';
import type { HostDataSourceSrv } from './datasource-srv';
import type { LoadedPlugins } from './plugins';
import type { HostTemplateSrv } from './template-srv';

export interface HostServices {
  dashboard: DashboardJson;
  dashboardName: string;
  plugins: LoadedPlugins;
  backendSrv: HostBackendSrv;
  templateSrv: HostTemplateSrv;
  datasourceSrv: HostDataSourceSrv;
  theme: GrafanaTheme2;
  timeZone: string;
}

/** One frame as plain data: its time and number columns copied. */
export interface FrameSummary {
  refId?: string;
  name: string;
  labels: Record<string, string>;
  meta: unknown;
  times: number[];
  values: Array<number | null>;
}

export interface DataSummary {
  at: number;
  state: string;
  frames: FrameSummary[];
}

export interface PanelProbe {
  data: PanelData;
  updates: number;
  runs: number;
  lastUpdateAt: number;
  /** The first emission of the current run that had any points. */
  firstWithPoints?: DataSummary;
}

/** What a test can read from `window.__panecastHost`. */
export interface HostProbe {
  ready: boolean;
  error?: string;
  time: RawTimeRange;
  panels: Record<string, PanelProbe>;
  summarize(panelId: number): DataSummary | undefined;
}

declare global {
  interface Window {
    __panecastHost?: HostProbe;
  }
}

export function summarize(data: PanelData): DataSummary {
  return {
    at: Date.now(),
    state: data.state,
    frames: data.series.map((frame) => {
      const time = frame.fields.find((field) => field.type === FieldType.time);
      const value = frame.fields.find((field) => field.type === FieldType.number);
      return {
        refId: frame.refId,
        name: value?.config.displayNameFromDS ?? value?.config.displayName ?? value?.name ?? frame.name ?? '',
        labels: { ...value?.labels },
        meta: frame.meta?.custom,
        times: Array.from(time?.values ?? [], Number),
        values: Array.from(value?.values ?? [], (one) => (one === null || one === undefined ? null : Number(one))),
      };
    }),
  };
}

export function probe(): HostProbe {
  window.__panecastHost ??= {
    ready: false,
    time: { from: '', to: '' },
    panels: {},
    summarize: (panelId) => {
      const entry = window.__panecastHost?.panels[panelId];
      return entry ? summarize(entry.data) : undefined;
    },
  };
  return window.__panecastHost;
}

export function recordPanelData(panelId: number, data: PanelData, newRun: boolean): void {
  const entry: PanelProbe = probe().panels[panelId] ?? { data, updates: 0, runs: 0, lastUpdateAt: 0 };
  entry.data = data;
  entry.updates += 1;
  entry.lastUpdateAt = Date.now();
  if (newRun) {
    entry.runs += 1;
    entry.firstWithPoints = undefined;
  }
  if (entry.firstWithPoints === undefined && data.series.some((frame) => frame.length > 0)) {
    entry.firstWithPoints = summarize(data);
  }
  probe().panels[panelId] = entry;
}
