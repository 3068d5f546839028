/**
 * One provisioned dashboard (classic JSON model): required fields, the
 * schemaVersion of the Grafana the plugins build against, panel types, grid
 * layout, datasource references and every target.
 */
import { IssueList, isRecord } from '../issues';
import type { MetricCatalogue } from '../metrics';
import type { ProvisionedDatasource } from './datasources';
import type { ExposedContext } from './exposed-target';
import { checkMetricsqlTarget } from './metricsql-target';
import { checkPanecastTarget } from './panecast-target';
import { readVariables, type Variables } from './templating';

export interface DashboardContext {
  readonly metrics: MetricCatalogue;
  /** By uid. */
  readonly datasources: ReadonlyMap<string, ProvisionedDatasource>;
  /** Panel plugin ids that exist: Grafana's core panels and ours. */
  readonly panelTypes: ReadonlySet<string>;
  /** The schemaVersion of the classic model in @grafana/schema. */
  readonly schemaVersion: number;
  readonly paneMs: number;
  /** The datasource plugin id of Panecast (from its plugin.json). */
  readonly panecastType: string;
  /** What the backend's GET /metrics exposes and the jobs that scrape it, for targets reading those series. */
  readonly exposed: ExposedContext;
}

const GRID_COLUMNS = 24;
const UID = /^[A-Za-z0-9_-]{1,40}$/;
/** Grafana's own pseudo-datasources, allowed for annotations. */
const BUILTIN_DATASOURCES = new Set(['-- Grafana --', 'grafana']);

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  at: string;
}

function checkGrid(panel: Record<string, unknown>, rects: Rect[], issues: IssueList, at: string): void {
  const grid = panel.gridPos;
  if (!isRecord(grid) || !['x', 'y', 'w', 'h'].every((k) => Number.isInteger(grid[k]) && (grid[k] as number) >= 0)) {
    issues.add('grid', `${at}.gridPos`, 'must be { x, y, w, h } with non-negative integers');
    return;
  }
  const rect = { x: grid.x as number, y: grid.y as number, w: grid.w as number, h: grid.h as number, at };
  if (rect.w < 1 || rect.h < 1 || rect.x + rect.w > GRID_COLUMNS) {
    issues.add('grid', `${at}.gridPos`, `must lie within the ${GRID_COLUMNS} columns with w, h ≥ 1`);
  }
  for (const other of rects) {
    if (rect.x < other.x + other.w && other.x < rect.x + rect.w && rect.y < other.y + other.h && other.y < rect.y + rect.h) {
      issues.add('grid', `${at}.gridPos`, `overlaps ${other.at}`);
    }
  }
  rects.push(rect);
}

/** The datasource a reference names, or an issue. */
function resolveDatasource(ref: unknown, context: DashboardContext, issues: IssueList, at: string): ProvisionedDatasource | undefined {
  if (!isRecord(ref) || typeof ref.uid !== 'string') {
    issues.add('datasource', at, 'must be { type, uid } naming a provisioned datasource');
    return undefined;
  }
  const datasource = context.datasources.get(ref.uid);
  if (datasource === undefined) {
    issues.add('datasource', `${at}.uid`, `"${ref.uid}" is not a provisioned datasource uid (${[...context.datasources.keys()].join(', ')})`);
    return undefined;
  }
  if (ref.type !== undefined && ref.type !== datasource.type) {
    issues.add('datasource', `${at}.type`, `"${String(ref.type)}" but datasource ${ref.uid} is of type ${datasource.type}`);
  }
  return datasource;
}

function checkTargets(panel: Record<string, unknown>, panelDatasource: ProvisionedDatasource | undefined, context: DashboardContext, variables: Variables, issues: IssueList, at: string): void {
  const targets = panel.targets;
  if (targets === undefined) {
    return;
  }
  if (!Array.isArray(targets)) {
    issues.add('required', `${at}.targets`, 'must be a list');
    return;
  }
  const refIds = new Set<string>();
  targets.forEach((target: unknown, index) => {
    const tat = `${at}.targets[${index}]`;
    if (!isRecord(target)) {
      issues.add('required', tat, 'must be an object');
      return;
    }
    if (typeof target.refId !== 'string' || target.refId === '') {
      issues.add('required', `${tat}.refId`, 'must be a non-empty string');
    } else if (refIds.has(target.refId)) {
      issues.add('unique', `${tat}.refId`, `refId "${target.refId}" is used twice in this panel`);
    } else {
      refIds.add(target.refId);
    }
    const datasource = target.datasource === undefined ? panelDatasource : resolveDatasource(target.datasource, context, issues, `${tat}.datasource`);
    if (datasource === undefined) {
      if (target.datasource === undefined) {
        issues.add('datasource', tat, 'has no datasource, and neither has its panel');
      }
      return;
    }
    if (datasource.type === context.panecastType) {
      checkPanecastTarget(target, { metrics: context.metrics, variables, paneMs: context.paneMs }, issues, tat);
    } else if (datasource.type === 'prometheus') {
      checkMetricsqlTarget(target, context.metrics, variables, issues, tat, context.exposed);
    } else {
      issues.add('datasource', `${tat}.datasource`, `no check knows datasource type ${datasource.type}`);
    }
  });
}

function checkPanels(panels: unknown[], context: DashboardContext, variables: Variables, ids: Set<number>, issues: IssueList, prefix: string): void {
  const rects: Rect[] = [];
  panels.forEach((panel: unknown, index) => {
    const at = `${prefix}[${index}]`;
    if (!isRecord(panel)) {
      issues.add('required', at, 'must be an object');
      return;
    }
    if (!Number.isInteger(panel.id) || (panel.id as number) < 1) {
      issues.add('required', `${at}.id`, 'must be a positive integer');
    } else if (ids.has(panel.id as number)) {
      issues.add('unique', `${at}.id`, `panel id ${String(panel.id)} is used twice`);
    } else {
      ids.add(panel.id as number);
    }
    if (typeof panel.type !== 'string' || !context.panelTypes.has(panel.type)) {
      issues.add('panel-type', `${at}.type`, `"${String(panel.type)}" is neither a core Grafana panel nor one of our plugins`);
    }
    if (typeof panel.title !== 'string') {
      issues.add('required', `${at}.title`, 'must be a string');
    }
    checkGrid(panel, rects, issues, at);
    if (panel.type === 'row') {
      // A collapsed row keeps its panels inside it.
      if (Array.isArray(panel.panels) && panel.panels.length > 0) {
        checkPanels(panel.panels, context, variables, ids, issues, `${at}.panels`);
      }
      return;
    }
    const datasource = panel.datasource === undefined || panel.datasource === null ? undefined : resolveDatasource(panel.datasource, context, issues, `${at}.datasource`);
    checkTargets(panel, datasource, context, variables, issues, at);
  });
}

function checkVariableQueries(list: unknown, context: DashboardContext, issues: IssueList): void {
  if (!Array.isArray(list)) {
    return;
  }
  list.forEach((entry: unknown, index) => {
    const at = `templating.list[${index}]`;
    if (!isRecord(entry) || entry.type !== 'query') {
      return;
    }
    const datasource = resolveDatasource(entry.datasource, context, issues, `${at}.datasource`);
    if (datasource?.type === context.panecastType) {
      checkPanecastVariableQuery(entry.query, context.metrics, issues, `${at}.query`);
    }
  });
}

/**
 * The Panecast datasource's variable queries, the grammar of metricFindQuery
 * (parseFindQuery in plugin-datasource/src/variables.ts): `metrics()` lists
 * metric names; `dimensions(<metric>, <dimension>)` lists the values of a
 * dimension seen recently (GET /v1/dimensions).
 */
export function checkPanecastVariableQuery(query: unknown, metrics: MetricCatalogue, issues: IssueList, at: string): void {
  const text = typeof query === 'string' ? query : isRecord(query) && typeof query.query === 'string' ? query.query : undefined;
  if (text === undefined) {
    issues.add('variable', at, 'must be a string: metrics() or dimensions(<metric>, <dimension>)');
    return;
  }
  if (/^\s*metrics\(\s*\)\s*$/.test(text)) {
    return;
  }
  const match = /^\s*dimensions\(\s*([^,\s)]+)\s*,\s*([^,\s)]+)\s*\)\s*$/.exec(text);
  if (match === null) {
    issues.add('variable', at, `"${text}" is neither metrics() nor dimensions(<metric>, <dimension>)`);
    return;
  }
  const metric = metrics.get(match[1] as string);
  if (metric === undefined) {
    issues.add('metric', at, `"${match[1]}" is not a shipped metric`);
  } else if (!metric.dimensions.includes(match[2] as string)) {
    issues.add('dimension', at, `"${match[2]}" is not a dimension of ${metric.name} (${metric.dimensions.join(', ')})`);
  }
}

export function checkDashboard(dashboard: unknown, context: DashboardContext, issues: IssueList): void {
  if (!isRecord(dashboard)) {
    issues.add('required', '', 'a dashboard must be a JSON object');
    return;
  }
  if (typeof dashboard.uid !== 'string' || !UID.test(dashboard.uid)) {
    issues.add('required', 'uid', 'must be a stable uid: 1-40 of letters, digits, _ and -');
  }
  if (typeof dashboard.title !== 'string' || dashboard.title.trim() === '') {
    issues.add('required', 'title', 'must be a non-empty string');
  }
  if (dashboard.schemaVersion !== context.schemaVersion) {
    issues.add('schema-version', 'schemaVersion', `is ${String(dashboard.schemaVersion)}; the Grafana of the plugins (@grafana/schema) writes ${context.schemaVersion}`);
  }
  if (!Array.isArray(dashboard.panels) || dashboard.panels.length === 0) {
    issues.add('required', 'panels', 'must be a non-empty list');
  }
  const templating = isRecord(dashboard.templating) ? dashboard.templating.list : undefined;
  const variables = readVariables(templating, issues);
  checkVariableQueries(templating, context, issues);
  if (Array.isArray(dashboard.panels)) {
    checkPanels(dashboard.panels, context, variables, new Set(), issues, 'panels');
  }
  const annotations = isRecord(dashboard.annotations) ? dashboard.annotations.list : undefined;
  if (Array.isArray(annotations)) {
    annotations.forEach((annotation: unknown, index) => {
      if (isRecord(annotation) && isRecord(annotation.datasource) && !BUILTIN_DATASOURCES.has(String(annotation.datasource.uid))) {
        resolveDatasource(annotation.datasource, context, issues, `annotations.list[${index}].datasource`);
      }
    });
  }
}
