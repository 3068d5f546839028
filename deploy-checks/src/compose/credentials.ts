/**
 * What the demo's services must agree on for credentials and addresses, each
 * value read the way its reader reads it (the backend's own parsers):
 * - nothing is readable or writable without a credential: live auth on (it
 *   guards the read routes too) and collector keys set;
 * - with live auth on, the read key Grafana sends (the Panecast datasource's
 *   secureJsonData.apiKey, filled from Grafana's environment) is one of the
 *   backend's PANECAST_READ_KEYS, of the tenant that owns the shipped metrics;
 * - jsonData.url names the backend as Grafana's container reaches it (the
 *   data proxy runs there), jsonData.liveUrl a port the backend publishes to
 *   the browser's machine, and the backend's origin allow-list admits
 *   Grafana's published address;
 * - when the collector requires keys, the load generator sends one it takes.
 */
import { loadConfig } from '../../../backend/src/config';
import { DEFAULT_TENANT, parseApiKeys } from '../../../backend/src/live/auth';
import { originAllowed, parseOriginAllowList } from '../../../backend/src/live/origin-allow-list';
import type { IssueList } from '../issues';
import type { ProvisionedDatasource } from '../provisioning/datasources';
import { configProblem } from './backend-env';
import type { ComposeService } from './model';

/** Grafana's provisioning expansion: `$VAR` and `${VAR}` from its environment, unset ones empty. */
function expand(value: unknown, env: Readonly<Record<string, string>>): string {
  return typeof value === 'string' ? value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_whole, braced?: string, bare?: string) => env[(braced ?? bare) as string] ?? '') : '';
}

/** Host ports a service publishes (`[ip:]host:container`). */
function publishedPorts(service: ComposeService): string[] {
  return service.ports.map((spec) => spec.split(':').slice(-2)[0] ?? '');
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function portOf(url: URL): string {
  return url.port !== '' ? url.port : url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80';
}

/** The config check (backend-env) reports a backend that would not start; nothing to cross-check then. */
function backendConfig(env: Readonly<Record<string, string>>): ReturnType<typeof loadConfig> | undefined {
  return configProblem(env) === undefined ? loadConfig({ ...env }) : undefined;
}

/** `backendEnv`: the backend's environment in its container (image ENV, then compose's). */
export function checkCredentials(
  backend: ComposeService,
  backendEnv: Readonly<Record<string, string>>,
  grafana: ComposeService,
  panecast: ProvisionedDatasource | undefined,
  loadgens: readonly ComposeService[],
  issues: IssueList,
): void {
  const config = backendConfig(backendEnv);
  if (config === undefined || panecast === undefined) {
    return;
  }
  const at = `services.${grafana.name}.environment`;
  const backendAt = `services.${backend.name}.environment`;
  if (!config.live.auth) {
    issues.add('credentials', `${backendAt}.PANECAST_AUTH`, 'must be on: otherwise reads and the live channel are open to anyone who reaches the backend');
  }
  if (config.collector.apiKeys === undefined) {
    issues.add('credentials', `${backendAt}.PANECAST_API_KEYS`, 'must be set: otherwise anyone who reaches the backend can post events');
  }
  if (config.live.auth) {
    const key = expand(panecast.secureJsonData.apiKey, grafana.environment);
    const tenant = parseApiKeys(config.live.readKeys ?? '', 'PANECAST_READ_KEYS').tenantOf(key);
    if (tenant === undefined) {
      issues.add('credentials', at, `the read key Grafana sends (secureJsonData.apiKey = ${String(panecast.secureJsonData.apiKey)}) is not one of the backend's PANECAST_READ_KEYS: every panel would be refused`);
    } else if (tenant !== DEFAULT_TENANT) {
      issues.add('credentials', at, `Grafana's read key belongs to tenant ${tenant}; the dashboards' metrics belong to ${DEFAULT_TENANT}`);
    }
  }
  const url = parseUrl(expand(panecast.jsonData.url, grafana.environment));
  if (url === undefined || url.hostname !== backend.name || portOf(url) !== String(config.port)) {
    issues.add('grafana', `${at} (jsonData.url)`, `must be the backend as Grafana's container reaches it: http://${backend.name}:${config.port}`);
  }
  const live = parseUrl(expand(panecast.jsonData.liveUrl, grafana.environment));
  if (live === undefined || !['ws:', 'wss:', 'http:', 'https:'].includes(live.protocol)) {
    issues.add('grafana', `${at} (jsonData.liveUrl)`, 'must be a ws(s) URL of the live channel');
  } else if (live.hostname === backend.name || !publishedPorts(backend).includes(portOf(live))) {
    issues.add('grafana', `${at} (jsonData.liveUrl)`, `${live.href}: the browser must reach it, at a port the ${backend.name} service publishes (${publishedPorts(backend).join(', ') || 'none'})`);
  }
  const origins = parseOriginAllowList(config.live.allowedOrigins);
  for (const port of publishedPorts(grafana)) {
    if (!originAllowed(`http://localhost:${port}`, origins)) {
      issues.add('credentials', `${backendAt}.PANECAST_ALLOWED_ORIGINS`, `does not admit Grafana's pages at http://localhost:${port}: the live channel would refuse them`);
    }
  }
  if (config.collector.apiKeys !== undefined) {
    const keys = parseApiKeys(config.collector.apiKeys);
    for (const loadgen of loadgens) {
      if (keys.tenantOf(loadgen.environment.PANECAST_API_KEY) === undefined) {
        issues.add('credentials', `services.${loadgen.name}.environment.PANECAST_API_KEY`, "must be one of the backend's PANECAST_API_KEYS: the collector refuses events without one");
      }
    }
  }
}
