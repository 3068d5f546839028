/**
 * The parts of a saved Grafana dashboard JSON (the files under
 * provisioning/dashboards/) that the host reads. Anything else in the file is
 * ignored: annotations, links, panel repeats, library panels, transformations
 * (listed per panel as not emulated when present).
 */
import type { DataSourceRef, FieldConfigSource } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PanelJson {
  id: number;
  type: string;
  title?: string;
  gridPos?: GridPos;
  datasource?: DataSourceRef | null;
  targets?: DataQuery[];
  fieldConfig?: FieldConfigSource;
  options?: Record<string, unknown>;
  maxDataPoints?: number;
  interval?: string;
  transparent?: boolean;
  transformations?: unknown[];
  /** Rows carry their collapsed children here. */
  panels?: PanelJson[];
}

export interface VariableOptionJson {
  text: string | string[];
  value: string | string[];
  selected?: boolean;
}

export interface VariableJson {
  type: string;
  name: string;
  label?: string;
  query?: unknown;
  datasource?: DataSourceRef | null;
  current?: { text?: string | string[]; value?: string | string[] };
  options?: VariableOptionJson[];
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  regex?: string;
  sort?: number;
  /** 0 never, 1 on dashboard load, 2 on time range change. */
  refresh?: number;
  hide?: number;
}

export interface DashboardJson {
  uid?: string;
  title?: string;
  time?: { from: string; to: string };
  refresh?: string | false;
  liveNow?: boolean;
  timezone?: string;
  templating?: { list?: VariableJson[] };
  panels?: PanelJson[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the few fields the host relies on, with a message naming the place. */
export function parseDashboard(raw: unknown, source: string): DashboardJson {
  if (!isObject(raw)) {
    throw new Error(`${source}: a dashboard must be a JSON object`);
  }
  const panels = raw.panels;
  if (panels !== undefined && !Array.isArray(panels)) {
    throw new Error(`${source}: "panels" must be an array`);
  }
  for (const [index, panel] of (panels ?? []).entries()) {
    if (!isObject(panel) || typeof panel.type !== 'string') {
      throw new Error(`${source}: panels[${index}] needs a "type"`);
    }
  }
  return raw as DashboardJson;
}

/** Panels in reading order, rows flattened (a collapsed row's children included), rows themselves dropped. */
export function flattenPanels(dashboard: DashboardJson): PanelJson[] {
  const out: PanelJson[] = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') {
      out.push(...(panel.panels ?? []));
    } else {
      out.push(panel);
    }
  }
  return out.sort((a, b) => (a.gridPos?.y ?? 0) - (b.gridPos?.y ?? 0) || (a.gridPos?.x ?? 0) - (b.gridPos?.x ?? 0));
}
