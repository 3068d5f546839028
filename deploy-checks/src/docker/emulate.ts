/**
 * Replays a Dockerfile's stages on the host, without a Docker engine: each
 * stage is a folder standing for its WORKDIR; COPY copies from the build
 * context (honouring .dockerignore) or from an earlier stage's folder; RUN
 * runs the command there with the stage's ENV. Only npm commands are run:
 * they are what the build needs, and anything else (apt-get, chown) would
 * touch the host. The base image is not reproduced: the host's Node stands
 * in for it (the checks pin both to Node 20).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import type { IgnoreMatcher } from './checks';
import type { Stage } from './dockerfile';

export interface BuiltStage {
  readonly name: string;
  /** The host folder standing for the stage's WORKDIR. */
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  /** The definition it was built from, to tell whether it can be reused. */
  readonly definition: string;
}

export interface ReplayOptions {
  readonly root: string;
  readonly stages: readonly Stage[];
  readonly target: string;
  readonly ignores: IgnoreMatcher;
  /** An empty folder to build in. */
  readonly workDir: string;
  /** Environment for RUN besides the stage's ENV (e.g. npm_config_prefer_offline). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
  /** Stages built by an earlier replay; one is reused when its definition is unchanged (like Docker's layer cache). */
  readonly reuse?: ReadonlyMap<string, BuiltStage>;
}

/** A stage's definition without line numbers: what decides whether a built stage can be reused. */
function definitionOf(stage: Stage): string {
  return JSON.stringify({ from: stage.from, steps: stage.steps.map(({ line: _line, ...step }) => step) });
}

/** The stages `target` needs, in file order: its FROM chain and every COPY --from. */
export function stagesFor(stages: readonly Stage[], target: string): Stage[] {
  const needed = new Set<Stage>();
  const visit = (name: string) => {
    const stage = stages.find((s) => s.name === name || String(s.index) === name);
    if (stage === undefined || needed.has(stage)) {
      return;
    }
    needed.add(stage);
    if (stage.baseStage !== undefined) {
      visit(stage.baseStage);
    }
    for (const step of stage.steps) {
      if (step.kind === 'copy' && step.from !== undefined) {
        visit(step.from);
      }
    }
  };
  visit(target);
  return stages.filter((stage) => needed.has(stage));
}

/** Variables npm sets for the process that runs these checks; a nested npm must not inherit them (npm_config_workspace…). */
function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(name) && name !== 'INIT_CWD') {
      env[name] = value;
    }
  }
  return env;
}

function copyTree(root: string, relative: string, dest: string, ignores: IgnoreMatcher): void {
  if (ignores(relative)) {
    return;
  }
  const source = join(root, relative);
  if (!statSync(source).isDirectory()) {
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(source, dest);
    return;
  }
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(source)) {
    copyTree(root, posix.join(relative, entry), join(dest, entry), ignores);
  }
}

export function replayBuild(options: ReplayOptions): Map<string, BuiltStage> {
  const built = new Map<string, BuiltStage>();
  const log = options.log ?? (() => undefined);
  for (const stage of stagesFor(options.stages, options.target)) {
    const name = stage.name ?? String(stage.index);
    const definition = definitionOf(stage);
    const cached = options.reuse?.get(name);
    if (cached !== undefined && cached.definition === definition) {
      built.set(name, cached);
      continue;
    }
    const dir = join(options.workDir, `stage-${stage.index}-${name}`);
    const base = stage.baseStage === undefined ? undefined : built.get(stage.baseStage);
    if (base !== undefined) {
      cpSync(base.dir, dir, { recursive: true, verbatimSymlinks: true });
    } else {
      mkdirSync(dir, { recursive: true });
    }
    const env: Record<string, string> = { ...(base?.env ?? {}) };
    let workdir: string | undefined;
    // Container path → host path; every path the stage names must lie under its WORKDIR.
    const host = (path: string, relativeTo = workdir): string => {
      if (workdir === undefined) {
        throw new Error(`line ${stage.line}: set WORKDIR before naming paths`);
      }
      const absolute = posix.resolve(relativeTo ?? workdir, path);
      const inside = posix.relative(workdir, absolute);
      if (inside.startsWith('..')) {
        throw new Error(`${path} is outside WORKDIR ${workdir}: not replayable on the host`);
      }
      return join(dir, inside);
    };
    for (const step of stage.steps) {
      switch (step.kind) {
        case 'workdir':
          if (workdir !== undefined && posix.resolve(workdir, step.path) !== workdir) {
            throw new Error(`line ${step.line}: one WORKDIR per stage is supported here`);
          }
          workdir = posix.resolve('/', step.path);
          break;
        case 'env':
          step.vars.forEach(([key, value]) => (env[key] = value));
          break;
        case 'copy': {
          const dest = host(step.dest);
          const intoFolder = step.dest.endsWith('/') || step.sources.length > 1 || (existsSync(dest) && statSync(dest).isDirectory());
          for (const source of step.sources) {
            if (step.from === undefined) {
              const relative = posix.normalize(source).replace(/\/$/, '');
              const isFolder = statSync(join(options.root, relative)).isDirectory();
              copyTree(options.root, relative, isFolder || !intoFolder ? dest : join(dest, basename(relative)), options.ignores);
            } else {
              const from = built.get(step.from);
              if (from === undefined) {
                throw new Error(`line ${step.line}: stage ${step.from} was not built`);
              }
              const fromWorkdir = options.stages.find((s) => s.name === step.from)?.steps.find((s) => s.kind === 'workdir');
              const fromRoot = fromWorkdir?.kind === 'workdir' ? posix.resolve('/', fromWorkdir.path) : '/';
              const inside = posix.relative(fromRoot, posix.resolve(fromRoot, source));
              const sourceDir = join(from.dir, inside);
              cpSync(sourceDir, statSync(sourceDir).isDirectory() || !intoFolder ? dest : join(dest, basename(sourceDir)), { recursive: true });
            }
          }
          break;
        }
        case 'run': {
          if (!/^npm\s/.test(step.command)) {
            throw new Error(`line ${step.line}: only npm commands are replayed on the host, not: ${step.command}`);
          }
          log(`${name}: RUN ${step.command}`);
          execFileSync('/bin/sh', ['-c', step.command], {
            cwd: host('.'),
            env: { ...hostEnv(), ...env, ...options.env },
            stdio: 'pipe',
            maxBuffer: 64 * 1024 * 1024,
          });
          break;
        }
        default:
          break;
      }
    }
    built.set(name, { name, dir, env, definition });
  }
  return built;
}
