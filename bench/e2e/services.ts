/**
 * The real services for the e2e benchmark (started by services.sh if needed
 * and left running), the built backend it measures, and the clean-up of
 * everything a run wrote into the shared services.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { METRIC_PREFIX } from './options';

export const ROOT = join(__dirname, '..', '..');
export const DIST = join(ROOT, 'backend', 'dist');
export const DIST_MAIN = join(DIST, 'main.js');
const SERVICES_SH = join(ROOT, 'scripts', 'services', 'services.sh');

export interface Services {
  brokers: string[];
  redisUrl: string;
  vmUrl: string;
  /** Service name → pid, for CPU figures (missing when not started by services.sh). */
  pids: Map<string, number>;
}

export function services(): Services {
  const up = spawnSync('bash', [SERVICES_SH, 'up', 'kafka', 'redis', 'victoriametrics'], { encoding: 'utf8' });
  if (up.status !== 0) {
    throw new Error(`services.sh up failed:\n${up.stderr}${up.stdout}`);
  }
  const env = spawnSync('bash', [SERVICES_SH, 'env', 'kafka', 'redis', 'victoriametrics'], { encoding: 'utf8' }).stdout;
  const value = (name: string) => {
    const match = new RegExp(`^export ${name}=(.*)$`, 'm').exec(env);
    if (match === null) {
      throw new Error(`services.sh env printed no ${name}`);
    }
    return (match[1] as string).trim();
  };
  return { brokers: value('PANECAST_KAFKA_BROKERS').split(','), redisUrl: value('PANECAST_REDIS_URL'), vmUrl: value('PANECAST_VM_URL'), pids: servicePids() };
}

export function servicePids(): Map<string, number> {
  const status = spawnSync('bash', [SERVICES_SH, 'status', 'kafka', 'redis', 'victoriametrics'], { encoding: 'utf8' }).stdout;
  const pids = new Map<string, number>();
  for (const line of status.split('\n')) {
    const match = /^(\S+)\s.*\(pid (\d+)\)/.exec(line);
    if (match !== null) {
      pids.set(match[1] as string, Number(match[2]));
    }
  }
  return pids;
}

/** Records per partition of a topic. */
export async function topicRecords(svc: Services, topic: string): Promise<number[]> {
  const admin = new Kafka({ clientId: 'bench-e2e-admin', brokers: svc.brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high) - Number(p.low));
  } finally {
    await admin.disconnect();
  }
}

/** The shipped metric definitions with every name prefixed, in a temporary folder. */
export function benchMetricsDir(): string {
  const source = join(ROOT, 'backend', 'metrics');
  const dir = mkdtempSync(join(tmpdir(), 'panecast-bench-e2e-'));
  for (const file of readdirSync(source).filter((f) => /\.(ya?ml|json)$/.test(f))) {
    const text = readFileSync(join(source, file), 'utf8');
    writeFileSync(join(dir, file), text.replace(/^(\s*-\s*name:\s*["']?)([a-z])/gm, `$1${METRIC_PREFIX}$2`));
  }
  return dir;
}

export async function cleanUp(svc: Services, topics: string[], groups: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-e2e-admin', brokers: svc.brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const gone = topics.flatMap((t) => [t, `${t}.late`]).filter((t) => existing.has(t));
    if (gone.length > 0) {
      await admin.deleteTopics({ topics: gone, timeout: 10_000 });
    }
    await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const redis = new Redis(svc.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    for (const pattern of [...groups.map((g) => `panecast:${g}:*`), `panecast:${METRIC_PREFIX}*`]) {
      let cursor = '0';
      // Bounded: at most 10 000 SCAN pages per pattern.
      for (let page = 0; page < 10_000; page++) {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) {
          await redis.unlink(...keys);
        }
        cursor = nextCursor;
        if (cursor === '0') {
          break;
        }
      }
    }
  } finally {
    redis.disconnect();
  }
  const match = encodeURIComponent(`{__name__=~"${METRIC_PREFIX}.*"}`);
  await fetch(`${svc.vmUrl}/api/v1/admin/tsdb/delete_series?match[]=${match}`, { method: 'POST', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
}

/** Is the build older than the sources? (The lead rebuilds; the bench only says so.) */
export function buildInfo(): { builtAt: string; sourcesNewerThanBuild: string[]; head: string } {
  const builtMs = statSync(DIST_MAIN).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path, `${rel}${entry.name}/`);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && statSync(path).mtimeMs > builtMs) {
        newer.push(`backend/src/${rel}${entry.name}`);
      }
    }
  };
  walk(join(ROOT, 'backend', 'src'), '');
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return { builtAt: new Date(builtMs).toISOString(), sourcesNewerThanBuild: newer, head };
}
