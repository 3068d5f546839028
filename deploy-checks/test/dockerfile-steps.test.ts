/**
 * The Dockerfile's steps replayed on this machine (no Docker engine here):
 * its COPYs into a folder per stage, its npm RUN steps (npm ci from the lock
 * file, the TypeScript build), then the runtime stage's CMD started and its
 * own HEALTHCHECK command run against it. The base image is the one thing
 * not reproduced: the host's Node 20 stands in for node:20.x.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readCompose } from '../src/compose/model';
import { BACKEND_STAGE } from '../src/deployment';
import { entryFile, ignoreMatcher } from '../src/docker/checks';
import { effective, parseDockerfile, type Stage } from '../src/docker/dockerfile';
import { replayBuild, type BuiltStage } from '../src/docker/emulate';
import { PATHS, REPO_ROOT } from '../src/repo';

const dockerfileText = readFileSync(join(REPO_ROOT, PATHS.dockerfile), 'utf8');
const ignores = ignoreMatcher(readFileSync(join(REPO_ROOT, PATHS.dockerignore), 'utf8'));
// Use the npm cache the setup step filled; the registry only for what is missing.
const NPM_ENV = { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
// The image runs in services mode; here it runs embedded (no Kafka, Redis or VictoriaMetrics needed) on a free port.
const RUN_ENV = { PANECAST_MODE: 'embedded', PANECAST_HOST: '127.0.0.1', PANECAST_PORT: '0', PANECAST_DEMO_EVENTS_PER_SEC: '0' };
const folders: string[] = [];

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'panecast-image-'));
  folders.push(dir);
  return dir;
}

function replay(stages: readonly Stage[], reuse?: ReadonlyMap<string, BuiltStage>, target = BACKEND_STAGE): Map<string, BuiltStage> {
  return replayBuild({ root: REPO_ROOT, stages, target, ignores, workDir: workDir(), env: NPM_ENV, ...(reuse === undefined ? {} : { reuse }) });
}

/** The load generator's command as docker-compose.yml gives it, pointed at `url` and made to stop after a few seconds. */
function loadgenCommand(url: string): string[] {
  const model = readCompose(parseYaml(readFileSync(join(REPO_ROOT, PATHS.compose), 'utf8')));
  const command = model.services.get('loadgen')?.command;
  if (!Array.isArray(command)) {
    throw new Error('the loadgen service needs an exec-form command');
  }
  const args = [...command];
  const set = (flag: string, value: string) => {
    const at = args.indexOf(flag);
    if (at < 0) {
      throw new Error(`the loadgen command has no ${flag}`);
    }
    args[at + 1] = value;
  };
  set('--url', url);
  set('--duration', '3');
  return [...args, '--json'];
}

interface Running {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts the stage's CMD (exec form) with the stage's ENV; resolves once it prints its address. */
function start(stages: readonly Stage[], stage: BuiltStage): Promise<Running> {
  const cmd = effective(stages, BACKEND_STAGE, 'cmd')?.command;
  if (!Array.isArray(cmd)) {
    throw new Error('the backend stage needs an exec-form CMD');
  }
  const child = spawn(cmd[0] as string, cmd.slice(1), { cwd: stage.dir, env: { PATH: process.env.PATH ?? '', ...stage.env, ...RUN_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /live page at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        resolve({ port: Number(match[1]), stop: () => (child.kill('SIGTERM'), exited) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)}:\n${output}`));
    });
  });
}

/** Runs the stage's HEALTHCHECK command the way Docker does (shell form through /bin/sh); returns its exit status. */
function healthcheck(stages: readonly Stage[], stage: BuiltStage, port: number): number | null {
  const command = effective(stages, BACKEND_STAGE, 'healthcheck')?.command;
  const args = typeof command === 'string' ? ['/bin/sh', '-c', command] : [...(command ?? [])];
  const result = spawnSync(args[0] as string, args.slice(1), { cwd: stage.dir, env: { PATH: process.env.PATH ?? '', ...stage.env, PANECAST_PORT: String(port) }, timeout: 10_000 });
  return result.status;
}

describe('the Dockerfile replayed on the host', () => {
  const stages = parseDockerfile(dockerfileText);
  let built: Map<string, BuiltStage>;

  beforeAll(() => {
    built = replay(stages);
  }, 240_000);

  afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('ships the compiled backend with production dependencies only', () => {
    const image = built.get(BACKEND_STAGE) as BuiltStage;
    expect(existsSync(join(image.dir, entryFile(stages, BACKEND_STAGE) as string))).toBe(true);
    expect(existsSync(join(image.dir, 'node_modules/kafkajs/package.json'))).toBe(true);
    expect(existsSync(join(image.dir, 'node_modules/@panecast/protocol/dist/index.js'))).toBe(true);
    // No sources, no compiler, no test tools in the runtime stage.
    expect(existsSync(join(image.dir, 'backend/src'))).toBe(false);
    expect(existsSync(join(image.dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(image.dir, 'node_modules/jest'))).toBe(false);
  });

  it('starts from its CMD and passes its own HEALTHCHECK, which fails once the process is gone', async () => {
    const image = built.get(BACKEND_STAGE) as BuiltStage;
    const running = await start(stages, image);
    try {
      const response = await fetch(`http://127.0.0.1:${running.port}/healthz`);
      expect(response.status).toBe(200);
      expect(healthcheck(stages, image, running.port)).toBe(0);
    } finally {
      await running.stop();
    }
    expect(healthcheck(stages, image, running.port)).not.toBe(0);
  }, 60_000);

  it('the loadgen stage runs the compose command, and the backend accepts every event it sends', async () => {
    const loadgen = replay(stages, undefined, 'loadgen').get('loadgen') as BuiltStage;
    const backend = await start(stages, built.get(BACKEND_STAGE) as BuiltStage);
    try {
      const [program, ...args] = loadgenCommand(`http://127.0.0.1:${backend.port}`);
      const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(program as string, args, { cwd: loadgen.dir, env: { PATH: process.env.PATH ?? '', HOME: loadgen.dir, ...loadgen.env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('exit', (status) => resolve({ status, stdout, stderr }));
      });
      expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
      const summary = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { generated: number; accepted: number };
      expect(summary.generated).toBeGreaterThan(0);
      expect(summary.accepted).toBe(summary.generated);
    } finally {
      await backend.stop();
    }
  }, 240_000);

  it('a runtime stage missing a COPY it needs fails when started (the build stage is reused)', async () => {
    const broken = parseDockerfile(dockerfileText.replace('COPY backend/metrics backend/metrics\n', ''));
    expect(broken).not.toEqual(stages);
    const rebuilt = replay(broken, built);
    expect(rebuilt.get('build')).toBe(built.get('build'));
    await expect(start(broken, rebuilt.get(BACKEND_STAGE) as BuiltStage)).rejects.toThrow(/metric definitions folder/);
  }, 120_000);
});
