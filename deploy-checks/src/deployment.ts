/**
 * Everything the Grafana demo ships, checked together because the files
 * refer to each other: provisioning/ (datasources, dashboards), the compose
 * file that mounts it, and the Dockerfile the compose file builds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { backendVariables } from './compose/backend-env';
import { checkBackendService, checkLoadgenService, servicesOfStage } from './compose/backend';
import { checkCredentials } from './compose/credentials';
import { checkGrafanaService } from './compose/grafana';
import { lintCompose } from './compose/lint';
import { readCompose, type ComposeModel, type ComposeService } from './compose/model';
import { checkScrape } from './compose/scrape';
import { checkHealth, checkImages, checkMounts, checkPortComments, type ImageVersions } from './compose/services';
import { checkDockerfile, entryFile, ignoreMatcher, type ImageTarget } from './docker/checks';
import { effective, lineage, parseDockerfile, type Stage } from './docker/dockerfile';
import { parseImage } from './images';
import { IssueList, isRecord, type Issue } from './issues';
import { checkProvisioning, type Provisioning } from './provisioning';
import { PATHS } from './repo';

/** The Dockerfile stage the backend service builds, and the probe its HEALTHCHECK must hit. */
export const BACKEND_STAGE = 'backend';
export const BACKEND_HEALTH_PATH = '/healthz';

export interface DeploymentReport {
  readonly issues: readonly Issue[];
  readonly provisioning: Provisioning;
  readonly compose: ComposeModel;
  readonly stages: readonly Stage[];
}

function read(root: string, file: string): string {
  return readFileSync(join(root, file), 'utf8');
}

/** Versions fixed elsewhere in the repo that the images must agree with. */
function imageVersions(root: string): ImageVersions {
  const versions = new Map<string, { version: string; why: string }>();
  const fromScript = (file: string, variable: string): string | undefined =>
    new RegExp(`^${variable}=v?(\\d+\\.\\d+\\.\\d+)`, 'm').exec(read(root, file))?.[1];
  const kafka = fromScript('scripts/services/kafka.sh', 'KAFKA_VERSION');
  if (kafka !== undefined) {
    versions.set('apache/kafka', { version: kafka, why: 'scripts/services/kafka.sh tests against it' });
  }
  const vm = fromScript('scripts/services/victoriametrics.sh', 'VM_VERSION');
  if (vm !== undefined) {
    versions.set('victoriametrics/victoria-metrics', { version: vm, why: 'scripts/services/victoriametrics.sh tests against it' });
  }
  const grafana = (JSON.parse(read(root, 'node_modules/@grafana/data/package.json')) as { version: string }).version.split('.')[0];
  versions.set('grafana/grafana', { version: `${grafana}.`, why: `the plugins build against @grafana/* ${grafana}` });
  return versions;
}

function imageEnv(stages: readonly Stage[], stage: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of lineage(stages, stage).reverse()) {
    for (const step of s.steps) {
      if (step.kind === 'env') {
        step.vars.forEach(([name, value]) => (env[name] = value));
      }
    }
  }
  return env;
}

export interface DeploymentOptions {
  /**
   * Run dclint (compose-spec schema and rules); default true. It compiles the
   * schema on every call (a few hundred ms), so tests of the other checks skip it.
   */
  readonly lint?: boolean;
}

function checkComposeAndImage(
  root: string,
  options: DeploymentOptions,
  provisioning: Provisioning,
  issues: IssueList,
  dockerIssues: IssueList,
): { model: ComposeModel; stages: Stage[] } {
  const composePath = join(root, PATHS.compose);
  const composeDir = dirname(composePath);
  const document = parseDocument(readFileSync(composePath, 'utf8'), { prettyErrors: true });
  for (const error of document.errors) {
    issues.add('parse', `line ${error.linePos?.[0].line ?? 0}`, error.message);
  }
  if (options.lint !== false) {
    lintCompose(composePath, issues);
  }
  const model = readCompose(document.toJS());
  const stages = parseDockerfile(read(root, PATHS.dockerfile));
  const variables = backendVariables(root);
  const hasImageHealthcheck = (service: ComposeService) => {
    const health = service.build?.target === undefined ? undefined : effective(stages, service.build.target, 'healthcheck');
    return health !== undefined && health.command.length > 0;
  };
  checkImages(model, imageVersions(root), issues);
  checkMounts(root, composeDir, model, issues);
  checkHealth(model, hasImageHealthcheck, issues);
  checkPortComments(document, issues);

  const targets: ImageTarget[] = [...new Set([...model.services.values()].flatMap((s) => (s.build?.target === undefined ? [] : [s.build.target])))].map(
    (stage) => (stage === BACKEND_STAGE ? { stage, healthPath: BACKEND_HEALTH_PATH } : { stage }),
  );
  const ignoreFile = join(root, PATHS.dockerignore);
  if (!existsSync(ignoreFile)) {
    dockerIssues.add('dockerfile', PATHS.dockerignore, 'is missing: the context would carry node_modules and host builds');
  }
  checkDockerfile(root, stages, ignoreMatcher(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : ''), variables, targets, dockerIssues);
  const entry = entryFile(stages, BACKEND_STAGE);
  if (entry === undefined || !existsSync(join(root, entry))) {
    dockerIssues.add('dockerfile', `stage ${BACKEND_STAGE}`, `CMD must be ["node", "<file>"] with a file the build produces (${entry ?? 'none'} not found; run npm run build)`);
  }
  for (const stage of stages) {
    if (stage.image?.name === 'node' && !/^20\./.test(stage.image.tag ?? '')) {
      dockerIssues.add('image-pin', `line ${stage.line}`, `FROM ${stage.from}: the project runs on Node 20`);
    }
  }

  const backends = servicesOfStage(model, BACKEND_STAGE);
  if (backends.length === 0) {
    issues.add('required', 'services', `no service builds the ${BACKEND_STAGE} stage of the Dockerfile`);
  }
  const backendImageEnv = imageEnv(stages, BACKEND_STAGE);
  for (const backend of backends) {
    checkBackendService(model, backend, variables, backendImageEnv, issues);
  }
  const grafanas = [...model.services.values()].filter((s) => s.image !== undefined && parseImage(s.image).name === 'grafana/grafana');
  if (grafanas.length !== 1) {
    issues.add('required', 'services', 'needs exactly one grafana/grafana service');
  }
  grafanas.forEach((grafana) => checkGrafanaService(root, composeDir, grafana, provisioning, issues));
  const manifest: unknown = JSON.parse(read(root, 'package.json'));
  const scripts = isRecord(manifest) && isRecord(manifest.scripts) ? (manifest.scripts as Record<string, string>) : {};
  const loadgens = [...model.services.values()].filter((s) => JSON.stringify(s.command ?? '').includes('loadgen'));
  if (loadgens.length === 0) {
    issues.add('required', 'services', 'needs a load generator service (npm run loadgen)');
  }
  loadgens.forEach((loadgen) => checkLoadgenService(loadgen, scripts, backends.map((b) => b.name), issues));
  const [backend] = backends;
  const [grafana] = grafanas;
  if (backend !== undefined && grafana !== undefined) {
    checkCredentials(backend, { ...backendImageEnv, ...backend.environment }, grafana, provisioning.datasources.get('panecast'), loadgens, issues);
  }
  const [vm] = [...model.services.values()].filter((s) => s.image !== undefined && parseImage(s.image).name === 'victoriametrics/victoria-metrics');
  if (vm === undefined) {
    issues.add('required', 'services', 'needs a victoriametrics/victoria-metrics service');
  } else if (backend !== undefined) {
    checkScrape(vm, backend, { ...backendImageEnv, ...backend.environment }, provisioning.scrape, issues);
  }
  return { model, stages };
}

export function checkDeployment(root: string, options: DeploymentOptions = {}): DeploymentReport {
  const provisioning = checkProvisioning(root);
  const composeIssues = new IssueList(PATHS.compose);
  const dockerIssues = new IssueList(PATHS.dockerfile);
  const { model, stages } = checkComposeAndImage(root, options, provisioning, composeIssues, dockerIssues);
  return { issues: [...provisioning.issues, ...composeIssues.items, ...dockerIssues.items], provisioning, compose: model, stages };
}
