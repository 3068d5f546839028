/**
 * Grafana provisioning YAML: datasources (provisioning/datasources/*.yaml)
 * and dashboard providers (provisioning/dashboards/*.yaml). Besides the
 * fields Grafana requires, it collects the `${VAR}` references Grafana will
 * fill from its environment, for the compose check to cross-check.
 */
import { IssueList, isRecord } from '../issues';

export interface ProvisionedDatasource {
  readonly name: string;
  readonly type: string;
  readonly uid: string;
  readonly file: string;
  /** As written, `${VAR}` references unexpanded (Grafana fills them from its environment). */
  readonly jsonData: Readonly<Record<string, unknown>>;
  readonly secureJsonData: Readonly<Record<string, unknown>>;
}

export interface DashboardProvider {
  readonly name: string;
  /** The folder Grafana reads dashboards from, inside its container. */
  readonly path: string;
  readonly file: string;
}

/** The uids CONTRACTS.md fixes (dashboards and the plugin host refer to them), with their types. */
export function contractDatasources(panecastType: string): ReadonlyMap<string, string> {
  return new Map([
    ['panecast', panecastType],
    ['victoriametrics', 'prometheus'],
  ]);
}

const ENV_REFERENCE = /\$\{(\w+)\}|\$(\w+)/g;

/** Names of the environment variables a provisioning file reads (`$VAR`, `${VAR}`). */
export function environmentReferences(text: string): string[] {
  return [...text.matchAll(ENV_REFERENCE)].map((m) => (m[1] ?? m[2]) as string);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** jsonData keys that hold a secret: jsonData reaches every viewer's browser. */
const SECRET_KEY = /(key|token|secret|password)$/i;

/**
 * The Panecast datasource (plugin-datasource/src/types.ts): its HTTP goes
 * through Grafana's data proxy to jsonData.url with secureJsonData.apiKey
 * added on the server; its WebSocket goes from the browser to jsonData.liveUrl.
 */
function checkPanecastSettings(entry: Record<string, unknown>, at: string, issues: IssueList): void {
  const jsonData = isRecord(entry.jsonData) ? entry.jsonData : {};
  if (!nonEmpty(jsonData.url)) {
    issues.add('required', `${at}.jsonData.url`, "the backend URL Grafana's data proxy forwards to");
  }
  if (!nonEmpty(jsonData.liveUrl)) {
    issues.add('required', `${at}.jsonData.liveUrl`, 'the live channel URL the browser opens (jsonData.url is what Grafana reaches)');
  }
  for (const key of Object.keys(jsonData).filter((name) => SECRET_KEY.test(name))) {
    issues.add('datasource', `${at}.jsonData.${key}`, 'jsonData is sent to every browser: keep secrets in secureJsonData');
  }
  const secure = isRecord(entry.secureJsonData) ? entry.secureJsonData : {};
  if (typeof secure.apiKey !== 'string') {
    issues.add('required', `${at}.secureJsonData.apiKey`, 'the read key the data proxy sends (may come from an environment variable)');
  }
  if (entry.access !== undefined && entry.access !== 'proxy') {
    issues.add('datasource', `${at}.access`, 'must be proxy: the key is added by the data proxy route');
  }
}

/** Datasource types that exist: Grafana core types we use, and our plugin. */
export function checkDatasourceFile(
  document: unknown,
  known: { panecastType: string; coreTypes: ReadonlySet<string> },
  issues: IssueList,
): ProvisionedDatasource[] {
  const found: ProvisionedDatasource[] = [];
  if (!isRecord(document) || document.apiVersion !== 1) {
    issues.add('required', 'apiVersion', 'must be 1');
  }
  const list = isRecord(document) ? document.datasources : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    issues.add('required', 'datasources', 'must be a non-empty list');
    return found;
  }
  list.forEach((entry: unknown, index) => {
    const at = `datasources[${index}]`;
    if (!isRecord(entry)) {
      issues.add('required', at, 'must be a mapping');
      return;
    }
    for (const field of ['name', 'type', 'uid']) {
      if (!nonEmpty(entry[field])) {
        issues.add('required', `${at}.${field}`, 'must be a non-empty string');
      }
    }
    if (entry.access !== undefined && entry.access !== 'proxy' && entry.access !== 'direct') {
      issues.add('datasource', `${at}.access`, 'must be proxy or direct');
    }
    const type = String(entry.type);
    if (type === known.panecastType) {
      checkPanecastSettings(entry, at, issues);
    } else if (known.coreTypes.has(type)) {
      if (!nonEmpty(entry.url)) {
        issues.add('required', `${at}.url`, `a ${type} datasource needs a url`);
      }
    } else if (nonEmpty(entry.type)) {
      issues.add('datasource', `${at}.type`, `"${type}" is neither our plugin (${known.panecastType}) nor a core type (${[...known.coreTypes].join(', ')})`);
    }
    if (nonEmpty(entry.name) && nonEmpty(entry.type) && nonEmpty(entry.uid)) {
      found.push({
        name: entry.name,
        type,
        uid: entry.uid,
        file: issues.file,
        jsonData: isRecord(entry.jsonData) ? entry.jsonData : {},
        secureJsonData: isRecord(entry.secureJsonData) ? entry.secureJsonData : {},
      });
    }
  });
  return found;
}

export function checkProviderFile(document: unknown, issues: IssueList): DashboardProvider[] {
  const found: DashboardProvider[] = [];
  if (!isRecord(document) || document.apiVersion !== 1) {
    issues.add('required', 'apiVersion', 'must be 1');
  }
  const list = isRecord(document) ? document.providers : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    issues.add('required', 'providers', 'must be a non-empty list');
    return found;
  }
  list.forEach((entry: unknown, index) => {
    const at = `providers[${index}]`;
    if (!isRecord(entry) || !nonEmpty(entry.name)) {
      issues.add('required', `${at}.name`, 'must be a non-empty string');
      return;
    }
    if (entry.type !== 'file') {
      issues.add('provider', `${at}.type`, 'must be "file": the dashboards are JSON files');
    }
    const options = isRecord(entry.options) ? entry.options : {};
    if (!nonEmpty(options.path) || !options.path.startsWith('/')) {
      issues.add('required', `${at}.options.path`, 'must be an absolute path inside the Grafana container');
      return;
    }
    found.push({ name: entry.name, path: options.path, file: issues.file });
  });
  return found;
}
