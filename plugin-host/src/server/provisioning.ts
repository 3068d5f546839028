/**
 * What the host's server knows, read from the repository as Grafana reads
 * it: each served plugin's built `dist/plugin.json` (its metadata and its data
 * proxy `routes`), the provisioned dashboards (provisioning/dashboards/*.json)
 * and datasources (provisioning/datasources/*.yaml, `$VAR` and `${VAR}`
 * filled from the environment Grafana would have). The datasources are kept
 * whole on the server side, secureJsonData included, for the data proxy; the
 * page gets them the way Grafana's frontend settings give them: `url` is the
 * data proxy's for proxy access, and there is no secureJsonData.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface PluginDir {
  id: string;
  type: string;
  dist: string;
}

/** Plugin folders the host serves; each must have been built (`dist/plugin.json`). */
export const PLUGIN_FOLDERS = ['plugin-datasource', 'plugin-panel'] as const;

export function readPluginDirs(root: string): PluginDir[] {
  return PLUGIN_FOLDERS.map((folder) => {
    const dist = join(root, folder, 'dist');
    const manifest = join(dist, 'plugin.json');
    if (!existsSync(manifest)) {
      // No "plugin host:" prefix: the CLI adds it. One command for both plugins, so a fresh clone needs one retry, not two.
      throw new Error(`${folder}/dist/plugin.json is missing; build the plugins first (npm run build ${PLUGIN_FOLDERS.map((f) => `-w ${f}`).join(' ')})`);
    }
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { id: string; type: string };
    return { id: json.id, type: json.type, dist };
  });
}

interface PluginJson {
  id: string;
  type: string;
  info?: { logos?: { small?: string; large?: string } } & Record<string, unknown>;
  [key: string]: unknown;
}

/** The plugin metas Grafana's frontend gets, with `module` and `baseUrl` under /public/plugins/<id>/. */
export function pluginMetas(dirs: readonly PluginDir[]): unknown[] {
  return dirs.map((dir) => {
    const json = JSON.parse(readFileSync(join(dir.dist, 'plugin.json'), 'utf8')) as PluginJson;
    const baseUrl = `/public/plugins/${json.id}`;
    const logos = json.info?.logos ?? {};
    return {
      ...json,
      baseUrl,
      module: `${baseUrl}/module.js`,
      info: { ...json.info, logos: { small: `${baseUrl}/${logos.small ?? ''}`, large: `${baseUrl}/${logos.large ?? ''}` } },
    };
  });
}

export function dashboardNames(root: string): string[] {
  const folder = join(root, 'provisioning', 'dashboards');
  if (!existsSync(folder)) {
    return [];
  }
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** A route of a plugin's data proxy (plugin.json `routes`), the fields the host emulates. */
export interface PluginRoute {
  path: string;
  method?: string;
  url?: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

/** Data proxy routes of each served plugin, by plugin id. */
export function pluginRoutes(dirs: readonly PluginDir[]): Map<string, PluginRoute[]> {
  return new Map(dirs.map((dir) => [dir.id, ((JSON.parse(readFileSync(join(dir.dist, 'plugin.json'), 'utf8')) as { routes?: PluginRoute[] }).routes ?? [])]));
}

/** A provisioned datasource as Grafana's server holds it. */
export interface DatasourceRecord {
  uid: string;
  name: string;
  type: string;
  access: 'proxy' | 'direct';
  isDefault: boolean;
  url?: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

interface ProvisionedSource {
  name?: string;
  uid?: string;
  type?: string;
  url?: string;
  access?: string;
  isDefault?: boolean;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, unknown>;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export const DATASOURCE_PROXY_PREFIX = '/api/datasources/proxy/uid/';

/** Grafana's provisioning expansion: `$VAR` and `${VAR}` from the environment (unset: empty), `$$` for `$`. */
export function expandEnv(text: string, env: Environment): string {
  return text.replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => (whole === '$$' ? '$' : (env[(braced ?? bare) as string] ?? '')));
}

function expandValues<T>(value: T, env: Environment): T {
  if (typeof value === 'string') {
    return expandEnv(value, env) as T;
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown) => expandValues(item, env)) as T;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandValues(item, env)])) as T;
  }
  return value;
}

/**
 * The provisioned datasources with the environment filled in. When nothing
 * provisions the Panecast datasource the host adds one (uid `panecast`), so
 * the host works before provisioning/ is written.
 */
export function readDatasources(root: string, dirs: readonly PluginDir[], env: Environment): DatasourceRecord[] {
  const folder = join(root, 'provisioning', 'datasources');
  const sources: ProvisionedSource[] = [];
  if (existsSync(folder)) {
    for (const file of readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort()) {
      const doc = parse(readFileSync(join(folder, file), 'utf8')) as { datasources?: ProvisionedSource[] } | null;
      sources.push(...(doc?.datasources ?? []));
    }
  }
  const datasourcePlugin = dirs.find((dir) => dir.type === 'datasource');
  if (datasourcePlugin !== undefined && !sources.some((source) => source.type === datasourcePlugin.id)) {
    sources.unshift({ name: 'Panecast', uid: 'panecast', type: datasourcePlugin.id, isDefault: true, jsonData: {} });
  }
  return sources.map((raw, index) => {
    const source = expandValues(raw, env);
    const uid = source.uid ?? source.name ?? `datasource-${index}`;
    const secure = Object.entries(source.secureJsonData ?? {}).map(([key, value]) => [key, String(value ?? '')] as const);
    return {
      uid,
      name: source.name ?? uid,
      type: source.type ?? 'unknown',
      access: source.access === 'direct' ? 'direct' : 'proxy',
      isDefault: source.isDefault === true,
      ...(source.url === undefined ? {} : { url: source.url }),
      jsonData: source.jsonData ?? {},
      secureJsonData: Object.fromEntries(secure),
    };
  });
}

/** What the page gets, as Grafana's frontend settings give it: the proxy URL for proxy access, never secureJsonData. */
export function browserDatasources(records: readonly DatasourceRecord[]): unknown[] {
  return records.map((record) => ({
    uid: record.uid,
    name: record.name,
    type: record.type,
    access: record.access,
    isDefault: record.isDefault,
    url: record.access === 'proxy' ? `${DATASOURCE_PROXY_PREFIX}${record.uid}` : record.url,
    jsonData: record.jsonData,
  }));
}
