/**
 * Environment → validated, frozen configuration. Parsed once at start-up; a
 * bad value stops the process with a message naming the variable, so a typo
 * never turns into a silently different deployment.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export type Mode = 'embedded' | 'services';
export type KafkaClient = 'kafkajs' | 'platformatic';
/** Background work a process may take on; the HTTP API, the collector and the live gateway always run. */
export type Worker = 'processor' | 'composer' | 'history';
export const WORKERS: readonly Worker[] = ['processor', 'composer', 'history'];

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
    /** Client library that appends (collector, late events); see buffer/kafka-logs.ts. */
    readonly producer: KafkaClient;
    /** Client library of the processors' consumer-group member. */
    readonly consumer: KafkaClient;
  };
  readonly redisUrl: string;
  readonly vmUrl: string;
  /** The most bytes of one VictoriaMetrics query answer read; past it the read is refused. */
  readonly vmMaxAnswerBytes: number;
  readonly collector: {
    readonly maxBodyBytes: number;
    /** Bytes of request bodies all requests may hold while they are read; past it, 503. */
    readonly bodyMemoryBytes: number;
    /** Longest a request may take to arrive, headers and body. */
    readonly requestTimeoutMs: number;
    readonly maxBatchEvents: number;
    /**
     * Per-tenant API keys as configured (`tenant:key,…`, from PANECAST_API_KEYS
     * or the file in PANECAST_API_KEYS_FILE), parsed by live/auth.ts
     * parseApiKeys; undefined: the collector is open (default tenant).
     */
    readonly apiKeys: string | undefined;
    /** How long the processor recognises a retried batch (idempotency-key), ms. */
    readonly idempotencyWindowMs: number;
  };
  /** Folder of metric definition files; undefined: the shipped `backend/metrics`. */
  readonly metricsDir: string | undefined;
  readonly live: {
    /**
     * PANECAST_AUTH: credentials are required everywhere: a live token on the
     * live channel, a read key on every read route (http/read-auth.ts) and a
     * collector key on POST /v1/events (no keys configured: all refused).
     */
    readonly auth: boolean;
    /**
     * Per-tenant read keys as configured (`tenant:key,…`, PANECAST_READ_KEYS),
     * parsed by live/auth.ts parseApiKeys; apart from the collector's write
     * keys. Undefined while live auth is on: every read is refused.
     */
    readonly readKeys: string | undefined;
    /** Lifetime of a live token minted by POST /v1/live/token, ms. */
    readonly tokenTtlMs: number;
    /** The gateway sends `expiring` this long before a token's expiry, ms. */
    readonly expiryNoticeMs: number;
    /** Token secrets as configured (comma-separated; the first signs); parsed by live/auth.ts. */
    readonly tokenSecrets: string;
    /** WebSocket Origin allow-list as configured (comma-separated); parsed by live/auth.ts. */
    readonly allowedOrigins: string;
    /** The gateway pings every this many ms and reaps connections silent for two rounds. */
    readonly heartbeatMs: number;
    /**
     * Live connections of one read key across all the tokens minted for it (one token subject),
     * counted across every gateway; the per-token limit alone leaves a key holder unbounded.
     */
    readonly maxConnectionsPerKey: number;
    /**
     * Distinct live queries one tenant may have registered across every gateway (each costs the
     * composer a live tail); PANECAST_MAX_QUERIES_PER_TENANT.
     */
    readonly maxQueriesPerTenant: number;
  };
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
  /** While VictoriaMetrics cannot be written, panes not written yet stay in the pane store this much longer. */
  readonly historyHoldMs: number;
  /** Demo traffic in events per second; 0 disables it. */
  readonly demoEventsPerSec: number;
  /**
   * PANECAST_WORKERS: which background workers this process runs (default all).
   * A deployment can run collector/gateway processes with none, and
   * processors apart, so that ingest and processing use separate cores.
   */
  readonly workers: ReadonlySet<Worker>;
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

/** A URL as an error may show it: anything between `://` and the last `@` may be a password. */
function withoutCredentials(value: string): string {
  return value.replace(/^([^:/?#]*:\/\/).*@/, '$1…@');
}

/** `credentials`: whether the URL may carry a user and password (Redis: ioredis reads them; fetch refuses them). */
function url(env: Env, name: string, fallback: string, protocols: readonly string[], credentials: boolean): string {
  const value = text(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `"${withoutCredentials(value)}" is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `"${withoutCredentials(value)}" must use ${protocols.join(' or ')}`);
  }
  if (!credentials && (parsed.username !== '' || parsed.password !== '')) {
    // fetch would refuse every request, its error naming the whole URL (GET /readyz shows it).
    throw new ConfigError(name, `"${withoutCredentials(value)}" carries credentials, which are not supported here`);
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

function workers(env: Env): Set<Worker> {
  const value = env.PANECAST_WORKERS;
  if (value === undefined || value.trim() === '' || value.trim() === 'all') {
    return new Set(WORKERS);
  }
  if (value.trim() === 'none') {
    return new Set();
  }
  const chosen = new Set<Worker>();
  for (const item of value.split(',').map((part) => part.trim())) {
    if (!(WORKERS as readonly string[]).includes(item)) {
      throw new ConfigError('PANECAST_WORKERS', `"${item}" is not a worker: use "all", "none" or a list of ${WORKERS.join(', ')}`);
    }
    chosen.add(item as Worker);
  }
  return chosen;
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
const KAFKA_CLIENT = /^(kafkajs|platformatic)$/;

/** Collector API keys from the variable or a file (one or more entries a line, `#` comments); never both. */
function apiKeysText(env: Env): string | undefined {
  const inline = env.PANECAST_API_KEYS;
  const file = env.PANECAST_API_KEYS_FILE;
  if (inline !== undefined && inline !== '' && file !== undefined && file !== '') {
    throw new ConfigError('PANECAST_API_KEYS_FILE', 'set either PANECAST_API_KEYS or PANECAST_API_KEYS_FILE, not both');
  }
  if (file !== undefined && file !== '') {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError('PANECAST_API_KEYS_FILE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return content
      .split(/\r?\n/)
      .filter((line) => !line.trimStart().startsWith('#'))
      .join(',');
  }
  return inline === undefined || inline.trim() === '' ? undefined : inline;
}

function liveConfig(env: Env, mode: Mode): Config['live'] {
  const auth = text(env, 'PANECAST_AUTH', mode === 'services' ? 'on' : 'off', /^(on|off)$/, 'use "on" or "off"') === 'on';
  const tokenSecrets = env.PANECAST_TOKEN_SECRETS ?? '';
  if (auth && tokenSecrets.trim() === '') {
    throw new ConfigError('PANECAST_TOKEN_SECRETS', 'is required while auth is on (PANECAST_AUTH=on, the default in services mode)');
  }
  const readKeys = env.PANECAST_READ_KEYS;
  const expiryNoticeMs = integer(env, 'PANECAST_LIVE_EXPIRY_NOTICE_MS', 60_000, 1000, 3_600_000);
  const tokenTtlMs = integer(env, 'PANECAST_LIVE_TOKEN_TTL_MS', 3_600_000, 2000, 7 * 86_400_000);
  if (tokenTtlMs < 2 * expiryNoticeMs) {
    // A token not much longer than the notice would be "expiring" as it arrives: clients would renew without pause.
    throw new ConfigError('PANECAST_LIVE_TOKEN_TTL_MS', `${tokenTtlMs} must be at least twice PANECAST_LIVE_EXPIRY_NOTICE_MS (${expiryNoticeMs})`);
  }
  return {
    auth,
    readKeys: readKeys === undefined || readKeys.trim() === '' ? undefined : readKeys,
    tokenTtlMs,
    expiryNoticeMs,
    tokenSecrets,
    allowedOrigins: env.PANECAST_ALLOWED_ORIGINS ?? '*',
    heartbeatMs: integer(env, 'PANECAST_LIVE_HEARTBEAT_MS', 15_000, 100, 600_000),
    maxConnectionsPerKey: integer(env, 'PANECAST_LIVE_MAX_CONNECTIONS_PER_KEY', 1000, 1, 1_000_000),
    maxQueriesPerTenant: integer(env, 'PANECAST_MAX_QUERIES_PER_TENANT', 1000, 1, 100_000),
  };
}

/**
 * The PANECAST_KAFKA_* settings alone: part of loadConfig, and all that the late-events tool
 * (late/main.ts) needs, so it does not ask for the auth secrets and keys of a services process.
 */
export function kafkaConfig(env: Env = process.env): Config['kafka'] {
  return deepFreeze({
    brokers: brokers(env, 'PANECAST_KAFKA_BROKERS', '127.0.0.1:19092'),
    topic: text(env, 'PANECAST_KAFKA_TOPIC', 'panecast.events', NAME, 'letters, digits, . _ -'),
    partitions: integer(env, 'PANECAST_KAFKA_PARTITIONS', 6, 1, 1000),
    groupId: text(env, 'PANECAST_KAFKA_GROUP', 'panecast-processor', NAME, 'letters, digits, . _ -'),
    clientId: text(env, 'PANECAST_KAFKA_CLIENT_ID', 'panecast', NAME, 'letters, digits, . _ -'),
    producer: text(env, 'PANECAST_KAFKA_PRODUCER', 'platformatic', KAFKA_CLIENT, 'use "platformatic" or "kafkajs"') as KafkaClient,
    consumer: text(env, 'PANECAST_KAFKA_CONSUMER', 'kafkajs', KAFKA_CLIENT, 'use "kafkajs" or "platformatic"') as KafkaClient,
  });
}

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
    kafka: kafkaConfig(env),
    redisUrl: url(env, 'PANECAST_REDIS_URL', 'redis://127.0.0.1:16379', ['redis:', 'rediss:'], true),
    vmUrl: url(env, 'PANECAST_VM_URL', 'http://127.0.0.1:18428', ['http:', 'https:'], false),
    vmMaxAnswerBytes: integer(env, 'PANECAST_VM_MAX_ANSWER_BYTES', 256 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    collector: {
      maxBodyBytes: integer(env, 'PANECAST_MAX_BODY_BYTES', 5 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      bodyMemoryBytes: integer(env, 'PANECAST_BODY_MEMORY_BYTES', 256 * 1024 * 1024, 1024, 16 * 1024 * 1024 * 1024),
      requestTimeoutMs: integer(env, 'PANECAST_REQUEST_TIMEOUT_MS', 30_000, 200, 600_000),
      maxBatchEvents: integer(env, 'PANECAST_MAX_BATCH_EVENTS', 10_000, 1, 1_000_000),
      apiKeys: apiKeysText(env),
      idempotencyWindowMs: integer(env, 'PANECAST_IDEMPOTENCY_WINDOW_MS', 600_000, 1000, 7 * 24 * 3_600_000),
    },
    metricsDir: env.PANECAST_METRICS_DIR === undefined || env.PANECAST_METRICS_DIR === '' ? undefined : env.PANECAST_METRICS_DIR,
    live: liveConfig(env, mode),
    window: {
      paneMs,
      allowedLatenessMs: integer(env, 'PANECAST_ALLOWED_LATENESS_MS', 60_000, 0, 3_600_000),
      outOfOrdernessMs: integer(env, 'PANECAST_OUT_OF_ORDERNESS_MS', 2000, 0, 3_600_000),
      idleMs: integer(env, 'PANECAST_IDLE_MS', 3000, 100, 3_600_000),
    },
    historyHoldMs: integer(env, 'PANECAST_HISTORY_HOLD_MS', 3 * 3_600_000, 0, 7 * 24 * 3_600_000),
    demoEventsPerSec: integer(env, 'PANECAST_DEMO_EVENTS_PER_SEC', mode === 'embedded' ? 40 : 0, 0, 1_000_000),
    workers: workers(env),
  });
}
