/**
 * What the host page asks the server for, read from the repository as Grafana
 * would read it: each served plugin's built `dist/plugin.json`, the
 * provisioned dashboards (provisioning/dashboards/*.json) and datasources
 * (provisioning/datasources/*.yaml). Datasource URLs are rewritten to the
 * host's proxy: `url` to Grafana's data-proxy path for the datasource, and
 * `jsonData.url` (the backend address the Panecast datasource reads) to the
 * same-origin `/api/panecast`, since the provisioned address names the
 * backend as Grafana's server would reach it, not as this page can.
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
      throw new Error(`plugin host: ${folder}/dist/plugin.json is missing; build the plugins first (npm run build -w ${folder})`);
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

interface ProvisionedSource {
  name?: string;
  uid?: string;
  type?: string;
  url?: string;
  access?: string;
  isDefault?: boolean;
  jsonData?: Record<string, unknown>;
}

export const DATASOURCE_PROXY_PREFIX = '/api/datasources/proxy/uid/';
export const BACKEND_PROXY_PREFIX = '/api/panecast/';

/**
 * The provisioned datasources, `jsonData.url` set to `backendBase` (the
 * same-origin proxy, or with `?direct` the backend's own address, which is
 * what a browser on a Grafana page would be given). When
 * nothing provisions the Panecast datasource the host adds one (uid
 * `panecast`), so the host works before provisioning/ is written.
 * secureJsonData is dropped: Grafana never sends it to the browser either.
 */
export function provisionedDatasources(root: string, dirs: readonly PluginDir[], backendBase: string): unknown[] {
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
  return sources.map((source, index) => {
    const uid = source.uid ?? source.name ?? `datasource-${index}`;
    const served = dirs.some((dir) => dir.id === source.type);
    return {
      uid,
      name: source.name ?? uid,
      type: source.type ?? 'unknown',
      access: source.access === 'direct' ? 'direct' : 'proxy',
      isDefault: source.isDefault === true,
      url: served ? `${DATASOURCE_PROXY_PREFIX}${uid}` : source.url,
      jsonData: served ? { ...source.jsonData, url: backendBase } : (source.jsonData ?? {}),
    };
  });
}
