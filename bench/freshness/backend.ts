/**
 * The real backend for the freshness benchmark (the services come from the
 * e2e benchmark's services(): started if needed, left running): one backend process
 * in services mode run from the sources (so a stale build cannot be
 * measured by mistake), its metric definitions renamed `fresh_*` so its
 * hot-store keys and history series stay apart from other users of the
 * services, and the clean-up of everything the run wrote.
 */
import { spawnBackend, stopProcess, type BackendChild } from '../backend-process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Services } from '../e2e/services';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'backend', 'src', 'main.ts');
const REGISTER = join(__dirname, '..', 'register.cjs');
export const METRIC_PREFIX = 'fresh_';
const START_TIMEOUT_MS = 90_000;

/** The shipped metric definitions with every name prefixed, in a temporary folder. */
export function benchMetricsDir(): string {
  const source = join(ROOT, 'backend', 'metrics');
  const dir = mkdtempSync(join(tmpdir(), 'panecast-bench-fresh-'));
  for (const file of readdirSync(source).filter((f) => /\.(ya?ml|json)$/.test(f))) {
    const text = readFileSync(join(source, file), 'utf8');
    writeFileSync(join(dir, file), text.replace(/^(\s*-\s*name:\s*["']?)([a-z])/gm, `$1${METRIC_PREFIX}$2`));
  }
  return dir;
}

export type Backend = BackendChild;

export interface BackendSettings {
  topic: string;
  group: string;
  partitions: number;
  metricsDir: string;
  outOfOrdernessMs: number;
  /** Writes a V8 CPU profile of the backend into this folder when it exits. */
  profileDir?: string;
  /** PANECAST_WORKERS of this process (default all). */
  workers?: string;
  label?: string;
}

export function startBackend(svc: Services, settings: BackendSettings): Promise<Backend> {
  const profile = settings.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`];
  return spawnBackend([...profile, '--require', REGISTER, MAIN], {
    cwd: ROOT,
    label: settings.label ?? 'backend',
    timeoutMs: START_TIMEOUT_MS,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PANECAST_MODE: 'services',
      PANECAST_HOST: '127.0.0.1',
      PANECAST_PORT: '0',
      PANECAST_KAFKA_BROKERS: svc.brokers.join(','),
      PANECAST_REDIS_URL: svc.redisUrl,
      PANECAST_VM_URL: svc.vmUrl,
      PANECAST_KAFKA_TOPIC: settings.topic,
      PANECAST_KAFKA_GROUP: settings.group,
      PANECAST_KAFKA_PARTITIONS: String(settings.partitions),
      PANECAST_METRICS_DIR: settings.metricsDir,
      PANECAST_OUT_OF_ORDERNESS_MS: String(settings.outOfOrdernessMs),
      PANECAST_DEMO_EVENTS_PER_SEC: '0',
      // One anonymous watcher; tokens are the fanout benchmark's business.
      PANECAST_AUTH: 'off',
      PANECAST_WORKERS: settings.workers ?? 'all',
    },
  });
}

export async function stopBackend(backend: Backend): Promise<void> {
  await stopProcess(backend.child);
}

/** Deletes the run's topics, consumer group, Redis keys and VictoriaMetrics series. */
export async function cleanUp(svc: Services, topic: string, group: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-fresh-admin', brokers: svc.brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const gone = [topic, `${topic}.late`].filter((t) => existing.has(t));
    if (gone.length > 0) {
      await admin.deleteTopics({ topics: gone, timeout: 10_000 });
    }
    await admin.deleteGroups([group]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const redis = new Redis(svc.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    // Everything the backend wrote (pane state, dedup, bus, hot store) is under its group.
    let cursor = '0';
    for (let page = 0; page < 10_000; page++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `panecast:${group}:*`, 'COUNT', 1000);
      if (keys.length > 0) {
        await redis.unlink(...keys);
      }
      cursor = next;
      if (cursor === '0') {
        break;
      }
    }
  } finally {
    redis.disconnect();
  }
  const match = encodeURIComponent(`{__name__=~"panecast_${METRIC_PREFIX}.*"}`);
  await fetch(`${svc.vmUrl}/api/v1/admin/tsdb/delete_series?match[]=${match}`, { method: 'POST', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
}

export function backendPid(backend: Backend): number {
  return backend.child.pid as number;
}
