/**
 * The load generator (`npm run loadgen`) as a child process: the three demo
 * traffics through the SDK to a collector, with its write key, as the compose
 * demo runs it. Started with node directly rather than through npm, so the
 * pid we signal is the generator's own and stop() reaches it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Collector } from './traffic';

const ROOT = join(__dirname, '..', '..', '..');

export interface LoadgenOptions {
  /** Events per second over all domains. */
  rate: number;
  /** Seconds; a backstop in case stop() is never called (the run ends by itself). */
  durationSec: number;
  domains: readonly string[];
  /** Distinct players, ad viewers and API clients: the ceiling of every distinct count. */
  users: number;
  seed: number;
}

export class LoadgenProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  /** Everything it wrote (progress lines on stderr, the summary on stdout). */
  output = '';

  constructor(
    private readonly collector: Collector,
    readonly options: LoadgenOptions,
  ) {}

  start(): void {
    const { rate, durationSec, domains, users, seed } = this.options;
    const args = [
      '--require',
      join(ROOT, 'bench', 'register.cjs'),
      join(ROOT, 'loadgen', 'src', 'main.ts'),
      ...['--url', this.collector.url, '--api-key', this.collector.writeKey],
      ...['--rate', String(rate), '--duration', String(durationSec), '--domains', domains.join(',')],
      ...['--users', String(users), '--seed', String(seed), '--json'],
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** The newest progress line, e.g. "loadgen http · 00:12 / 02:30 … accepted 4,800 …". */
  lastProgress(): string {
    return this.output.trim().split('\n').filter((line) => line.startsWith('loadgen')).at(-1) ?? '(no progress line yet)';
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * SIGTERM: it stops generating and sends what is queued (the backend must still be up), then
   * exits; SIGKILL if it has not within `graceMs`. Resolves to its summary line (JSON) if any.
   */
  async stop(graceMs = 15_000): Promise<string> {
    const child = this.child;
    if (child !== undefined && this.running) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(killer);
    }
    this.child = undefined;
    return this.output.split('\n').find((line) => line.startsWith('{')) ?? '';
  }
}
