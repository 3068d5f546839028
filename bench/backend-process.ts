/**
 * A backend as a child process, for the benchmarks that drive the whole
 * pipeline (e2e, freshness): started, recognised as up by the line main.ts
 * prints, and stopped with TERM then KILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface BackendChild {
  url: string;
  child: ChildProcess;
  /** Its stderr lines, at most 1000, for the failure messages and the results. */
  stderr: string[];
}

/** Spawns `node <args>` and resolves once it prints its URL; rejects if it exits or takes longer than `timeoutMs`. */
export function spawnBackend(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; label: string; timeoutMs: number }): Promise<BackendChild> {
  const child = spawn(process.execPath, [...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (line.trim() !== '' && stderr.length < 1000) {
        stderr.push(line);
      }
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.label} did not start within ${options.timeoutMs} ms:\n${stderr.slice(-20).join('\n')}`));
    }, options.timeoutMs);
    let out = '';
    let started = false;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (started) {
        return; // only drained, so the child never blocks on a full pipe
      }
      out += chunk;
      const match = /live page at (http:\/\/[^\s/]+)/.exec(out);
      if (match !== null) {
        started = true;
        clearTimeout(timer);
        resolve({ url: match[1] as string, child, stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!started) {
        reject(new Error(`${options.label} exited (${code}) before it started:\n${stderr.slice(-20).join('\n')}`));
      }
    });
  });
}

/** TERM, then KILL after 15 s; resolves once the process is gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
