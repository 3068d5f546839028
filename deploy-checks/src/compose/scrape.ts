/**
 * How compose runs VictoriaMetrics' scrape of the backend's `GET /metrics`
 * (provisioning/victoriametrics/scrape.yml), each value read the way its
 * reader reads it:
 * - the VictoriaMetrics service passes the file with `-promscrape.config`,
 *   at a container path a bind mount of that very file provides;
 * - its environment sets every `%{VAR}` the file uses: VictoriaMetrics
 *   leaves an unknown placeholder as it is, and the scrape would send the
 *   placeholder's text as its key;
 * - a job scrapes the backend service at its port and `/metrics`, and, with
 *   auth on, its bearer key is one of the backend's PANECAST_READ_KEYS
 *   (the backend's own parser): otherwise every scrape is refused with 401.
 */
import { loadConfig } from '../../../backend/src/config';
import { parseApiKeys } from '../../../backend/src/live/auth';
import type { IssueList } from '../issues';
import type { ScrapeConfig } from '../provisioning/scrape-config';
import { PATHS } from '../repo';
import { configProblem } from './backend-env';
import { hostPathOf } from './grafana';
import type { ComposeService } from './model';

const FLAG = /^--?promscrape\.config=(.+)$/;

/** VictoriaMetrics' `%{VAR}` expansion; an unset variable stays as written. */
function expand(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/%\{(\w+)\}/g, (whole, name: string) => env[name] ?? whole);
}

/** `backendEnv`: the backend's environment in its container (image ENV, then compose's). */
export function checkScrape(vm: ComposeService, backend: ComposeService, backendEnv: Readonly<Record<string, string>>, scrape: ScrapeConfig, issues: IssueList): void {
  const at = `services.${vm.name}`;
  const args = typeof vm.command === 'string' ? vm.command.split(/\s+/) : (vm.command ?? []);
  const path = args.map((arg) => FLAG.exec(arg)?.[1]).find((value) => value !== undefined);
  if (path === undefined) {
    issues.add('scrape', `${at}.command`, `must pass ${PATHS.scrapeConfig} with -promscrape.config: the internals dashboard reads what it scrapes`);
    return;
  }
  const source = hostPathOf(path, vm.mounts);
  if (source !== PATHS.scrapeConfig) {
    issues.add('scrape', `${at}.volumes`, `-promscrape.config=${path} must be ${PATHS.scrapeConfig}, bind-mounted there (${source ?? 'nothing'} is)`);
  }
  for (const name of scrape.placeholders) {
    if ((vm.environment[name] ?? '') === '') {
      issues.add('scrape', `${at}.environment.${name}`, `must be set: the scrape config uses %{${name}}`);
    }
  }
  if (configProblem(backendEnv) !== undefined) {
    return; // reported by the backend-env check; nothing to cross-check
  }
  const config = loadConfig({ ...backendEnv });
  const target = `${backend.name}:${config.port}`;
  const job = scrape.jobs.find((candidate) => candidate.targets.includes(target) && candidate.metricsPath === '/metrics' && candidate.scheme === 'http');
  if (job === undefined) {
    issues.add('scrape', PATHS.scrapeConfig, `no job scrapes http://${target}/metrics, the backend as the ${vm.name} container reaches it`);
    return;
  }
  if (config.live.auth) {
    const key = job.credentials === undefined ? undefined : expand(job.credentials, vm.environment);
    if (parseApiKeys(config.live.readKeys ?? '', 'PANECAST_READ_KEYS').tenantOf(key) === undefined) {
      issues.add('credentials', `${at}.environment`, `job ${job.name} must send one of the backend's PANECAST_READ_KEYS (authorization.credentials): /metrics refuses a scrape without one`);
    }
  }
}
