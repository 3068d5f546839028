/**
 * A backend process in services mode on a test's own topic and group, as the
 * processor tests run several of them (and kill some): started from the
 * build (`dist/main.js`), live auth off, its URL read from its start-up line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { backendUrl } from '../backend-url';
import { KAFKA_BROKERS, REDIS_URL, VM_URL } from './services-env';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface ProcessorProcess {
  process: ChildProcess;
  /** The process's HTTP base URL, once it has started. */
  url: Promise<string>;
}

export function startProcessor(options: { topic: string; group: string; partitions: number; metricsDir: string }): ProcessorProcess {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PANECAST_MODE: 'services',
      PANECAST_AUTH: 'off', // these runs test the pipeline, not the live channel's credentials
      PANECAST_PORT: '0',
      PANECAST_KAFKA_BROKERS: KAFKA_BROKERS,
      PANECAST_REDIS_URL: REDIS_URL,
      PANECAST_VM_URL: VM_URL,
      PANECAST_KAFKA_TOPIC: options.topic,
      PANECAST_KAFKA_GROUP: options.group,
      PANECAST_KAFKA_PARTITIONS: String(options.partitions),
      PANECAST_METRICS_DIR: options.metricsDir,
      // These tests replay streams minutes to an hour old, a backfill, with pauses (a kill, a
      // rebalance). With the 3 s default a partition caught up during a pause would go idle and
      // the clock would carry the watermark, and the history seal, past the rest of the stream,
      // which would then be too late. A backfill with pauses raises the idle time (README).
      PANECAST_IDLE_MS: '600000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = backendUrl(child, 'processor');
  // Tests kill some processes without ever asking their URL: an early exit is then no failure.
  url.catch(() => undefined);
  return { process: child, url };
}

/** Sends `signal` and resolves once the process has exited (at once if it already has). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
