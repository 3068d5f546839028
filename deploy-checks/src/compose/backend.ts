/**
 * The backend and load generator services: the variables passed are ones
 * the backend reads (backend/src/config.ts) and valid for it, services mode
 * points at the compose services (127.0.0.1 in a container is the container
 * itself), and the load generator's npm script exists.
 */
import { IssueList } from '../issues';
import { configProblem } from './backend-env';
import type { ComposeModel, ComposeService } from './model';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** Services built from the given Dockerfile stage. */
export function servicesOfStage(model: ComposeModel, stage: string): ComposeService[] {
  return [...model.services.values()].filter((service) => service.build?.target === stage);
}

/**
 * `imageEnv` is the ENV of the stage the service builds (compose's
 * environment wins over it, as in a container).
 */
export function checkBackendService(
  model: ComposeModel,
  service: ComposeService,
  backendVariables: ReadonlySet<string>,
  imageEnv: Readonly<Record<string, string>>,
  issues: IssueList,
): void {
  const at = `services.${service.name}.environment`;
  for (const name of Object.keys(service.environment)) {
    if (name.startsWith('PANECAST_') && !backendVariables.has(name)) {
      issues.add('backend-env', `${at}.${name}`, 'the backend reads no such variable (backend/src/config.ts)');
    }
  }
  const env = { ...imageEnv, ...service.environment };
  const problem = configProblem(env);
  if (problem !== undefined) {
    issues.add('backend-env', at, `the backend would refuse to start: ${problem}`);
  }
  if (env.PANECAST_MODE !== 'services') {
    issues.add('backend-env', `${at}.PANECAST_MODE`, 'must be "services": the demo runs on Kafka, Redis and VictoriaMetrics');
  }
  const host = env.PANECAST_HOST ?? '127.0.0.1';
  if (LOOPBACK.has(host)) {
    issues.add('backend-env', `${at}.PANECAST_HOST`, `${host} is unreachable from other containers; listen on 0.0.0.0`);
  }
  const addresses: Array<[string, string[]]> = [
    ['PANECAST_KAFKA_BROKERS', (env.PANECAST_KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim().replace(/:\d+$/, ''))],
    ['PANECAST_REDIS_URL', [hostOf(env.PANECAST_REDIS_URL ?? '') ?? '']],
    ['PANECAST_VM_URL', [hostOf(env.PANECAST_VM_URL ?? '') ?? '']],
  ];
  for (const [name, hosts] of addresses) {
    for (const target of hosts) {
      if (!model.services.has(target)) {
        issues.add('backend-env', `${at}.${name}`, `"${target || '(unset)'}" is not a service of this file; in a container the default 127.0.0.1 is the container itself`);
      } else if (!service.dependsOn.has(target)) {
        issues.add('depends-on', `services.${service.name}.depends_on`, `${name} uses ${target}, so the backend must wait for it`);
      }
    }
  }
  const port = env.PANECAST_PORT ?? '8080';
  if (service.ports.length > 0 && !service.ports.some((spec) => spec.endsWith(`:${port}`))) {
    issues.add('backend-env', `services.${service.name}.ports`, `no published port maps to the backend's PANECAST_PORT ${port}`);
  }
}

/** The load generator runs `npm run loadgen`: that script must exist, and it needs the backend up. */
export function checkLoadgenService(service: ComposeService, scripts: Readonly<Record<string, string>>, backends: readonly string[], issues: IssueList): void {
  const at = `services.${service.name}`;
  const command = Array.isArray(service.command) ? service.command : String(service.command ?? '').split(/\s+/);
  const run = command.indexOf('run');
  const script = command[0] === 'npm' && run >= 0 ? command[run + 1] : undefined;
  if (script === undefined) {
    issues.add('required', `${at}.command`, 'must run an npm script: npm run loadgen -- …');
  } else if (scripts[script] === undefined) {
    issues.add('required', `${at}.command`, `npm run ${script}: the root package.json has no such script`);
  }
  if (!backends.some((backend) => service.dependsOn.has(backend))) {
    issues.add('depends-on', `${at}.depends_on`, 'must wait for the backend it sends events to');
  }
}
