/**
 * Static checks of the Dockerfile and .dockerignore: multi-stage, pinned
 * base images, COPY sources that exist in the build context and are not
 * ignored, a non-root user, a health check, variables the backend reads, and
 * a CMD whose entry file the build produces.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { IssueList } from '../issues';
import { unpinned } from '../images';
import { effective, type Stage } from './dockerfile';

export interface ImageTarget {
  /** Stage name, e.g. `backend`. */
  readonly stage: string;
  /** A word the HEALTHCHECK must contain (e.g. `/healthz`), when the target needs one. */
  readonly healthPath?: string;
}

export type IgnoreMatcher = (path: string) => boolean;

export function ignoreMatcher(dockerignoreText: string): IgnoreMatcher {
  const ig = dockerignore({ ignorecase: false }).add(dockerignoreText.split('\n'));
  return (path) => ig.ignores(path);
}

/** Whether the context keeps `path` (a file, or a folder with at least one kept file). */
export function keptInContext(root: string, path: string, ignores: IgnoreMatcher): boolean {
  if (ignores(path)) {
    return false;
  }
  const full = join(root, path);
  if (!statSync(full).isDirectory()) {
    return true;
  }
  return readdirSync(full).some((entry) => keptInContext(root, posix.join(path, entry), ignores));
}

function isRoot(user: string): boolean {
  const name = user.split(':')[0] ?? '';
  return name === '' || name === 'root' || name === '0';
}

export function checkDockerfile(
  root: string,
  stages: readonly Stage[],
  ignores: IgnoreMatcher,
  backendVariables: ReadonlySet<string>,
  targets: readonly ImageTarget[],
  issues: IssueList,
): void {
  if (stages.length < 2) {
    issues.add('dockerfile', 'FROM', 'must be a multi-stage build (a build stage, then a runtime stage)');
  }
  const names = new Set<string>();
  for (const stage of stages) {
    const at = `line ${stage.line}`;
    if (stage.name !== undefined) {
      if (names.has(stage.name)) {
        issues.add('dockerfile', at, `stage name "${stage.name}" is used twice`);
      }
      names.add(stage.name);
    }
    if (stage.image !== undefined) {
      const problem = unpinned(stage.image);
      if (problem !== undefined) {
        issues.add('image-pin', at, `FROM ${stage.from} ${problem}`);
      }
    }
    for (const step of stage.steps) {
      const sat = `line ${step.line}`;
      if (step.kind === 'copy') {
        if (step.from !== undefined) {
          const earlier = stages.slice(0, stage.index).some((s) => s.name === step.from || String(s.index) === step.from);
          if (!earlier) {
            issues.add('dockerfile', sat, `COPY --from=${step.from} names no earlier stage`);
          }
          continue;
        }
        for (const source of step.sources) {
          const path = posix.normalize(source).replace(/\/$/, '');
          if (/[*?[]/.test(path)) {
            issues.add('dockerfile', sat, `COPY ${source}: wildcards are not checked; name the files`);
          } else if (path.startsWith('..') || path.startsWith('/')) {
            issues.add('dockerfile', sat, `COPY ${source} leaves the build context`);
          } else if (!existsSync(join(root, path))) {
            issues.add('dockerfile', sat, `COPY ${source}: no such file in the build context`);
          } else if (!keptInContext(root, path, ignores)) {
            issues.add('dockerfile', sat, `COPY ${source}: .dockerignore leaves it out of the build context`);
          }
        }
      } else if (step.kind === 'env') {
        for (const [name] of step.vars) {
          if (name.startsWith('PANECAST_') && !backendVariables.has(name)) {
            issues.add('backend-env', sat, `ENV ${name}: the backend reads no such variable (backend/src/config.ts)`);
          }
        }
      }
    }
  }
  for (const target of targets) {
    const at = `stage ${target.stage}`;
    if (!stages.some((stage) => stage.name === target.stage)) {
      issues.add('dockerfile', at, `docker-compose.yml builds target "${target.stage}", which is no stage of the Dockerfile`);
      continue;
    }
    const user = effective(stages, target.stage, 'user');
    if (user === undefined || isRoot(user.user)) {
      issues.add('dockerfile', at, 'must run as a non-root USER');
    }
    const cmd = effective(stages, target.stage, 'cmd');
    if (cmd === undefined) {
      issues.add('dockerfile', at, 'has no CMD');
    }
    if (target.healthPath !== undefined) {
      const health = effective(stages, target.stage, 'healthcheck');
      const text = health === undefined ? '' : typeof health.command === 'string' ? health.command : health.command.join(' ');
      if (!text.includes(target.healthPath)) {
        issues.add('healthcheck', at, `needs a HEALTHCHECK that probes ${target.healthPath}`);
      }
    }
  }
}

/**
 * The file `node <file>` starts, as a repo path: WORKDIR is the build
 * context's root in every stage here, so `backend/dist/main.js` in the image
 * is `backend/dist/main.js` of the repo once `npm run build` has run.
 */
export function entryFile(stages: readonly Stage[], stage: string): string | undefined {
  const cmd = effective(stages, stage, 'cmd');
  if (cmd === undefined || typeof cmd.command === 'string') {
    return undefined;
  }
  const [program, file] = cmd.command;
  return program === 'node' && file !== undefined && !file.startsWith('-') ? file : undefined;
}
