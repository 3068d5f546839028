/**
 * Reads everything under provisioning/ and checks it against what exists:
 * the plugins' plugin.json, Grafana's core panel types, the shipped metric
 * definitions (through the backend's loader) and the classic dashboard model
 * of @grafana/schema. Every problem is returned, not thrown.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDashboard } from '@grafana/schema';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../backend/src/config';
import { exposedSeries } from '../../../backend/src/observe/catalogue';
import { IssueList, isRecord, type Issue } from '../issues';
import { checkAlertRules, type AlertRule } from './alert-rules';
import { loadCatalogue, type MetricCatalogue } from '../metrics';
import { PATHS } from '../repo';
import { checkDashboard } from './dashboards';
import {
  checkDatasourceFile,
  checkProviderFile,
  contractDatasources,
  environmentReferences,
  type DashboardProvider,
  type ProvisionedDatasource,
} from './datasources';
import { checkScrapeConfig, type ScrapeConfig } from './scrape-config';

/** Grafana's built-in panel plugins (public/app/plugins/panel), the ones a dashboard may name without installing anything. */
export const CORE_PANEL_TYPES: readonly string[] = [
  'alertlist', 'annolist', 'barchart', 'bargauge', 'candlestick', 'canvas', 'dashlist', 'datagrid', 'flamegraph',
  'gauge', 'geomap', 'heatmap', 'histogram', 'logs', 'news', 'nodeGraph', 'piechart', 'row', 'stat',
  'state-timeline', 'status-history', 'table', 'text', 'timeseries', 'traces', 'trend', 'xychart',
];
/** Core datasource types the provisioning may use. */
export const CORE_DATASOURCE_TYPES: ReadonlySet<string> = new Set(['prometheus']);

export interface PluginIds {
  readonly datasource: string;
  readonly panel: string;
}

export interface Provisioning {
  readonly issues: Issue[];
  readonly datasources: ReadonlyMap<string, ProvisionedDatasource>;
  readonly providers: readonly DashboardProvider[];
  /** Repo-relative file → parsed dashboard. */
  readonly dashboards: ReadonlyMap<string, unknown>;
  /** Environment variables the provisioning files expect Grafana to have. */
  readonly environment: ReadonlySet<string>;
  readonly plugins: PluginIds;
  readonly metrics: MetricCatalogue;
  /** VictoriaMetrics' scrape of the backend's GET /metrics (compose/scrape.ts checks how compose runs it). */
  readonly scrape: ScrapeConfig;
  /** The alerting rules of provisioning/alerts/, over the same scraped series. */
  readonly alerts: readonly AlertRule[];
}

function readJson(root: string, file: string, issues: Issue[]): unknown {
  try {
    return JSON.parse(readFileSync(join(root, file), 'utf8'));
  } catch (error) {
    issues.push({ check: 'parse', file, at: '', message: (error as Error).message });
    return undefined;
  }
}

function pluginId(root: string, file: string, type: string, issues: Issue[]): string {
  const json = readJson(root, file, issues);
  if (!isRecord(json) || typeof json.id !== 'string' || json.type !== type) {
    issues.push({ check: 'required', file, at: 'id', message: `must be a ${type} plugin with an id` });
    return '';
  }
  return json.id;
}

function filesIn(root: string, folder: string, pattern: RegExp): string[] {
  return readdirSync(join(root, folder))
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => `${folder}/${name}`);
}

/** YAML parse, with the parser's errors (line and column) as issues. */
function readYaml(root: string, file: string, issues: Issue[]): { document: unknown; text: string } | undefined {
  const text = readFileSync(join(root, file), 'utf8');
  try {
    return { document: parseYaml(text, { prettyErrors: true }), text };
  } catch (error) {
    issues.push({ check: 'parse', file, at: '', message: (error as Error).message });
    return undefined;
  }
}

export function checkProvisioning(root: string): Provisioning {
  const issues: Issue[] = [];
  const plugins = {
    datasource: pluginId(root, PATHS.datasourcePluginJson, 'datasource', issues),
    panel: pluginId(root, PATHS.panelPluginJson, 'panel', issues),
  };
  // The backend's own loader and validator; a bad definition throws its own message.
  const metrics = loadCatalogue(join(root, PATHS.metricsDir));
  const environment = new Set<string>();

  const datasources = new Map<string, ProvisionedDatasource>();
  for (const file of filesIn(root, PATHS.datasources, /\.ya?ml$/)) {
    const list = new IssueList(file);
    const read = readYaml(root, file, issues);
    if (read === undefined) {
      continue;
    }
    environmentReferences(read.text.replace(/#.*$/gm, '')).forEach((name) => environment.add(name));
    for (const datasource of checkDatasourceFile(read.document, { panecastType: plugins.datasource, coreTypes: CORE_DATASOURCE_TYPES }, list)) {
      const earlier = datasources.get(datasource.uid);
      if (earlier !== undefined) {
        list.add('unique', 'datasources', `uid "${datasource.uid}" is also provisioned in ${earlier.file}`);
      }
      datasources.set(datasource.uid, datasource);
    }
    issues.push(...list.items);
  }
  for (const [uid, type] of contractDatasources(plugins.datasource)) {
    if (datasources.get(uid)?.type !== type) {
      issues.push({ check: 'datasource', file: PATHS.datasources, at: uid, message: `CONTRACTS.md fixes a ${type} datasource with uid "${uid}"` });
    }
  }

  const providers: DashboardProvider[] = [];
  for (const file of filesIn(root, PATHS.dashboards, /\.ya?ml$/)) {
    const list = new IssueList(file);
    const read = readYaml(root, file, issues);
    if (read !== undefined) {
      providers.push(...checkProviderFile(read.document, list));
    }
    issues.push(...list.items);
  }

  const scrapeIssues = new IssueList(PATHS.scrapeConfig);
  const scrape = checkScrapeConfig(readFileSync(join(root, PATHS.scrapeConfig), 'utf8'), scrapeIssues);
  issues.push(...scrapeIssues.items);

  const context = {
    metrics,
    datasources,
    panelTypes: new Set([...CORE_PANEL_TYPES, plugins.panel]),
    schemaVersion: defaultDashboard.schemaVersion as number,
    paneMs: loadConfig({}).window.paneMs,
    panecastType: plugins.datasource,
    exposed: { exposed: new Map(exposedSeries().map((series) => [series.name, series])), jobs: new Set(scrape.jobs.map((job) => job.name)) },
  };
  const dashboards = new Map<string, unknown>();
  const uids = new Map<string, string>();
  for (const file of filesIn(root, PATHS.dashboards, /\.json$/)) {
    const dashboard = readJson(root, file, issues);
    if (dashboard === undefined) {
      continue;
    }
    dashboards.set(file, dashboard);
    const list = new IssueList(file);
    checkDashboard(dashboard, context, list);
    const uid = isRecord(dashboard) && typeof dashboard.uid === 'string' ? dashboard.uid : undefined;
    if (uid !== undefined) {
      const earlier = uids.get(uid);
      if (earlier !== undefined) {
        list.add('unique', 'uid', `uid "${uid}" is also used by ${earlier}`);
      }
      uids.set(uid, file);
    }
    issues.push(...list.items);
  }
  if (dashboards.size === 0) {
    issues.push({ check: 'required', file: PATHS.dashboards, at: '', message: 'no dashboard JSON found' });
  }

  // docs/operations.md tells operators to load these: a file vmalert or Prometheus refuses loads no alert at all.
  const alerts: AlertRule[] = [];
  for (const file of existsSync(join(root, PATHS.alerts)) ? filesIn(root, PATHS.alerts, /\.ya?ml$/) : []) {
    const list = new IssueList(file);
    alerts.push(...checkAlertRules(readFileSync(join(root, file), 'utf8'), context.exposed, list));
    issues.push(...list.items);
  }
  if (alerts.length === 0) {
    issues.push({ check: 'required', file: PATHS.alerts, at: '', message: 'no alerting rule found' });
  }
  return { issues, datasources, providers, dashboards, environment, plugins, metrics, scrape, alerts };
}
