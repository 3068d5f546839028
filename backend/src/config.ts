/**
 * Environment → validated, frozen configuration. Parsed once at start-up; a
 * bad value stops the process with a message naming the variable, so a typo
 * never turns into a silently different deployment.
 */
import { hostname } from 'node:os';

export type Mode = 'embedded' | 'services';

export interface Config {
  /** `embedded`: in-process log and stores plus demo traffic; `services`: Kafka, Redis, VictoriaMetrics. */
  readonly mode: Mode;
  readonly host: string;
  readonly port: number;
  readonly instanceId: string;
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly topic: string;
    readonly partitions: number;
    readonly groupId: string;
    readonly clientId: string;
  };
  readonly redisUrl: string;
  readonly vmUrl: string;
  readonly collector: {
    readonly maxBodyBytes: number;
    readonly maxBatchEvents: number;
  };
  /** Folder of metric definition files; undefined: the shipped `backend/metrics`. */
  readonly metricsDir: string | undefined;
  readonly window: {
    /** Base pane resolution in milliseconds: every window is a multiple of it. */
    readonly paneMs: number;
    /** How long after the watermark passed a pane a late event still corrects it. */
    readonly allowedLatenessMs: number;
    /** Allowed out-of-orderness: the watermark trails the newest event time by this much. */
    readonly outOfOrdernessMs: number;
    /** A partition silent for this long stops holding the watermark back. */
    readonly idleMs: number;
  };
  /** Demo traffic in events per second; 0 disables it. */
  readonly demoEventsPerSec: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback: string, pattern?: RegExp, rule?: string): string {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : raw.trim();
  if (pattern && !pattern.test(value)) {
    throw new ConfigError(name, `"${value}" is not valid: ${rule ?? `must match ${pattern}`}`);
  }
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new ConfigError(name, `"${raw}" is not an integer`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `${value} is outside the allowed range ${min}..${max}`);
  }
  return value;
}

function url(env: Env, name: string, fallback: string, protocols: readonly string[]): string {
  const value = text(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `"${value}" must use ${protocols.join(' or ')}`);
  }
  return value.replace(/\/+$/, '');
}

function brokers(env: Env, name: string, fallback: string): string[] {
  const list = text(env, name, fallback)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (list.length === 0) {
    throw new ConfigError(name, 'needs at least one host:port');
  }
  for (const item of list) {
    if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(item)) {
      throw new ConfigError(name, `"${item}" is not host:port`);
    }
  }
  return list;
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) {
      deepFreeze(inner as object);
    }
  }
  return Object.freeze(value);
}

const NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function loadConfig(env: Env = process.env): Config {
  const paneMs = integer(env, 'PANECAST_PANE_MS', 1000, 100, 60_000);
  if (60_000 % paneMs !== 0) {
    // Coarse panes are one minute: the fine pane must divide it.
    throw new ConfigError('PANECAST_PANE_MS', `${paneMs} must divide 60000 (the coarse pane)`);
  }
  const mode = text(env, 'PANECAST_MODE', 'embedded', /^(embedded|services)$/, 'use "embedded" or "services"') as Mode;
  return deepFreeze({
    mode,
    host: text(env, 'PANECAST_HOST', '127.0.0.1'),
    port: integer(env, 'PANECAST_PORT', 8080, 0, 65535),
    instanceId: text(env, 'PANECAST_INSTANCE_ID', `${hostname()}-${process.pid}`, NAME, 'letters, digits, . _ -'),
    kafka: {
      brokers: brokers(env, 'PANECAST_KAFKA_BROKERS', '127.0.0.1:19092'),
      topic: text(env, 'PANECAST_KAFKA_TOPIC', 'panecast.events', NAME, 'letters, digits, . _ -'),
      partitions: integer(env, 'PANECAST_KAFKA_PARTITIONS', 6, 1, 1000),
      groupId: text(env, 'PANECAST_KAFKA_GROUP', 'panecast-processor', NAME, 'letters, digits, . _ -'),
      clientId: text(env, 'PANECAST_KAFKA_CLIENT_ID', 'panecast', NAME, 'letters, digits, . _ -'),
    },
    redisUrl: url(env, 'PANECAST_REDIS_URL', 'redis://127.0.0.1:16379', ['redis:', 'rediss:']),
    vmUrl: url(env, 'PANECAST_VM_URL', 'http://127.0.0.1:18428', ['http:', 'https:']),
    collector: {
      maxBodyBytes: integer(env, 'PANECAST_MAX_BODY_BYTES', 5 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      maxBatchEvents: integer(env, 'PANECAST_MAX_BATCH_EVENTS', 10_000, 1, 1_000_000),
    },
    metricsDir: env.PANECAST_METRICS_DIR === undefined || env.PANECAST_METRICS_DIR === '' ? undefined : env.PANECAST_METRICS_DIR,
    window: {
      paneMs,
      allowedLatenessMs: integer(env, 'PANECAST_ALLOWED_LATENESS_MS', 60_000, 0, 3_600_000),
      outOfOrdernessMs: integer(env, 'PANECAST_OUT_OF_ORDERNESS_MS', 2000, 0, 3_600_000),
      idleMs: integer(env, 'PANECAST_IDLE_MS', 3000, 100, 3_600_000),
    },
    demoEventsPerSec: integer(env, 'PANECAST_DEMO_EVENTS_PER_SEC', mode === 'embedded' ? 40 : 0, 0, 1_000_000),
  });
}
