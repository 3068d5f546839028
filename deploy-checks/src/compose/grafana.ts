/**
 * The Grafana service: both plugins mounted from their dist/ under their
 * ids, unsigned loading allowed for exactly those ids, the provisioning files
 * mounted where Grafana and the dashboard provider look, anonymous viewers,
 * and every environment variable the provisioning files read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { IssueList, isRecord } from '../issues';
import type { Provisioning } from '../provisioning';
import type { ComposeService, Mount } from './model';

const DEFAULT_PLUGINS = '/var/lib/grafana/plugins';
const DEFAULT_PROVISIONING = '/etc/grafana/provisioning';

/** The host path (repo-relative) behind a container path, through the longest matching bind mount. */
export function hostPathOf(containerPath: string, mounts: readonly Mount[]): string | undefined {
  let best: Mount | undefined;
  for (const mount of mounts) {
    if (mount.type !== 'bind') {
      continue;
    }
    const inside = containerPath === mount.target || containerPath.startsWith(`${mount.target.replace(/\/$/, '')}/`);
    if (inside && (best === undefined || mount.target.length > best.target.length)) {
      best = mount;
    }
  }
  return best === undefined ? undefined : posix.normalize(posix.join(best.source, containerPath.slice(best.target.length)));
}

function checkPlugin(root: string, composeDir: string, service: ComposeService, id: string, issues: IssueList): void {
  const pluginsDir = service.environment.GF_PATHS_PLUGINS ?? DEFAULT_PLUGINS;
  const at = `services.${service.name}.volumes`;
  const source = hostPathOf(`${pluginsDir}/${id}`, service.mounts);
  if (source === undefined) {
    issues.add('grafana', at, `mount the ${id} plugin's dist/ at ${pluginsDir}/${id}`);
    return;
  }
  const pluginJson = join(composeDir, source, 'plugin.json');
  if (!existsSync(pluginJson) || !existsSync(join(composeDir, source, 'module.js'))) {
    issues.add('grafana', at, `${source} has no built plugin.json and module.js (run npm run build)`);
    return;
  }
  const json: unknown = JSON.parse(readFileSync(pluginJson, 'utf8'));
  if (!isRecord(json) || json.id !== id) {
    issues.add('grafana', at, `${source}/plugin.json is not the ${id} plugin`);
  }
  if (relative(root, join(composeDir, source)).split('/').pop() !== 'dist') {
    issues.add('grafana', at, `${source}: mount the plugin's built dist/ folder`);
  }
}

/** `repoFile` (repo-relative) must be what Grafana sees at `containerPath`. */
function checkMapped(composeDir: string, root: string, service: ComposeService, containerPath: string, repoFile: string, issues: IssueList, what: string): void {
  const host = hostPathOf(containerPath, service.mounts);
  if (host === undefined || relative(root, join(composeDir, host)) !== repoFile) {
    issues.add('grafana', `services.${service.name}.volumes`, `${what}: Grafana must see ${repoFile} at ${containerPath}`);
  }
}

export function checkGrafanaService(root: string, composeDir: string, service: ComposeService, provisioning: Provisioning, issues: IssueList): void {
  const env = service.environment;
  const at = `services.${service.name}.environment`;
  const ids = [provisioning.plugins.datasource, provisioning.plugins.panel];
  const allowed = (env.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (allowed.length !== ids.length || !ids.every((id) => allowed.includes(id))) {
    issues.add('grafana', `${at}.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS`, `must list exactly ${ids.join(',')} (found "${allowed.join(',')}")`);
  }
  for (const id of ids) {
    checkPlugin(root, composeDir, service, id, issues);
  }
  if (env.GF_AUTH_ANONYMOUS_ENABLED !== 'true' || env.GF_AUTH_ANONYMOUS_ORG_ROLE !== 'Viewer') {
    issues.add('grafana', at, 'the demo gives anonymous visitors the Viewer role: GF_AUTH_ANONYMOUS_ENABLED=true, GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer');
  }
  for (const name of provisioning.environment) {
    if (env[name] === undefined) {
      issues.add('grafana', `${at}.${name}`, 'a provisioning file reads it, so Grafana must have it');
    }
  }
  const prov = env.GF_PATHS_PROVISIONING ?? DEFAULT_PROVISIONING;
  for (const datasource of new Set([...provisioning.datasources.values()].map((d) => d.file))) {
    checkMapped(composeDir, root, service, `${prov}/datasources/${posix.basename(datasource)}`, datasource, issues, 'datasources');
  }
  for (const provider of provisioning.providers) {
    checkMapped(composeDir, root, service, `${prov}/dashboards/${posix.basename(provider.file)}`, provider.file, issues, 'dashboard provider');
    for (const dashboard of provisioning.dashboards.keys()) {
      checkMapped(composeDir, root, service, `${provider.path}/${posix.basename(dashboard)}`, dashboard, issues, `provider ${provider.name}`);
    }
  }
  const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  if (home !== undefined) {
    const host = hostPathOf(home, service.mounts);
    if (host === undefined || !existsSync(join(composeDir, host))) {
      issues.add('grafana', `${at}.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH`, `${home} is not a mounted file`);
    }
  }
}
