/**
 * Composition: config → adapters → pipeline → servers. The embedded mode and
 * the services mode differ only in which adapter stands behind each port.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { MetricCatalogue } from '@panecast/protocol';
import type { EventLog } from './buffer/event-log';
import { createKafkaLog } from './buffer/kafka-logs';
import { MemoryLog } from './buffer/memory-log';
import { Collector } from './collect/collector';
import { ConfigError, WORKERS, type Config } from './config';
import { startDemoTraffic } from './demo/traffic';
import { createReadAuth, mintLiveToken, OPEN_LIVE_TOKEN } from './http/read-auth';
import { closeGracefully } from './http/drain';
import { createHttpServer, type ReadinessCheck } from './http/server';
import { onlyVisible, visibleMetricNames } from './http/stats-scope';
import { parseApiKeys, parseSecrets, sharesAKey } from './live/auth';
import { parseOriginAllowList } from './live/origin-allow-list';
import { defaultSubscriptions, LiveComposer } from './live/composer';
import { CONNECTION_LEASE_MS, type ConnectionLedger } from './live/connection-ledger';
import { GATEWAY_DEFAULTS, LiveGateway } from './live/gateway';
import type { LiveBus } from './live/live-bus';
import { MemoryConnectionLedger } from './live/memory-connection-ledger';
import { MemoryLiveBus } from './live/memory-live-bus';
import { RedisConnectionLedger } from './live/redis-connection-ledger';
import { leaderKey, RedisLiveBus } from './live/redis-live-bus';
import { loadMetricFiles } from './metrics-files';
import { SelfMetrics } from './observe/exposition';
import { HistoryWriter } from './process/history-writer';
import { DEFAULT_DEDUP_MAX_ENTRIES } from './process/batch-dedup';
import { Processor } from './process/processor';
import { DimensionValuesService } from './query/dimensions';
import { HistoryQueryService } from './query/history-query';
import { PerTenant } from './query/per-tenant';
import { WindowQueryService } from './query/window-query';
import { reaching } from './startup';
import type { DedupStore } from './store/dedup-store';
import type { History } from './store/history';
import type { HotStore } from './store/hot-store';
import { MemoryDedupStore } from './store/memory-dedup-store';
import { MemoryHistory } from './store/memory-history';
import { MemoryHotStore } from './store/memory-hot-store';
import { MemoryPaneState } from './store/memory-pane-state';
import { PANE_SIZE_MARK, type PaneStateStore } from './store/pane-state';
import { RedisDedupStore } from './store/redis-dedup-store';
import { RedisHotStore } from './store/redis-hot-store';
import { RedisPaneState } from './store/redis-pane-state';
import { VictoriaMetricsHistory } from './store/victoria-metrics-history';
import { resolveStoreOptions, servableAggregates, type MetricDefinition } from './window';

/** Composed values stay in the hot store this long after their last write. */
const HOT_RETENTION_MS = 2 * 3600_000;
/** The live bus keeps this many frames per query for resume (announced in welcome.limits). */
const LIVE_LIMITS = GATEWAY_DEFAULTS.limits;
/** A gateway renews the queries it serves every 5 s; a query unrenewed for 15 s stops being composed. */
const QUERY_LEASE_MS = 15_000;

export interface App {
  url: string;
  definitions: readonly MetricDefinition[];
  collector: Collector;
  processor: Processor;
  composer: LiveComposer;
  bus: LiveBus;
  historyWriter: HistoryWriter;
  log: EventLog;
  paneState: PaneStateStore;
  hotStore: HotStore;
  history: History;
  gateway: LiveGateway;
  stop(): Promise<void>;
}

interface Adapters {
  log: EventLog;
  paneState: PaneStateStore;
  /** Each partition's memory of collector batches, for idempotency (store/dedup-store.ts). */
  dedup: DedupStore;
  hotStore: HotStore;
  history: History;
  bus: LiveBus;
  /** Connections per token, counted across every gateway on the same Redis. */
  ledger: ConnectionLedger;
  checks: ReadinessCheck[];
  close(): Promise<void>;
}

/** Bytes of committed records the embedded log keeps per partition (memory-log.ts), a tail to inspect. */
const EMBEDDED_LOG_RETAIN_BYTES = 4 * 1024 * 1024;

function adaptersFor(config: Config): Adapters {
  if (config.mode === 'embedded') {
    const bus = new MemoryLiveBus({ replayFrames: LIVE_LIMITS.replayFrames, queryLeaseMs: QUERY_LEASE_MS });
    return {
      // A tail of committed records per partition: the embedded log would otherwise grow for as long as it runs.
      log: new MemoryLog(config.kafka.partitions, { retainBytes: EMBEDDED_LOG_RETAIN_BYTES }),
      paneState: new MemoryPaneState(),
      dedup: new MemoryDedupStore(),
      hotStore: new MemoryHotStore(config.kafka.groupId, HOT_RETENTION_MS, (writer) => bus.holdsLease(writer)),
      history: new MemoryHistory(),
      bus,
      ledger: new MemoryConnectionLedger(CONNECTION_LEASE_MS),
      checks: [],
      close: async () => {},
    };
  }
  const log = createKafkaLog(config.kafka);
  // One connection for all Redis work; auto-pipelining batches the commands
  // issued in one tick into one round trip.
  const redis = new Redis(config.redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  redis.on('error', (error: Error) => console.warn(`redis: ${error.message}`));
  const history = new VictoriaMetricsHistory(config.vmUrl, config.vmMaxAnswerBytes);
  return {
    log,
    paneState: new RedisPaneState(redis, config.kafka.groupId),
    dedup: new RedisDedupStore(redis, config.kafka.groupId),
    hotStore: new RedisHotStore(redis, config.kafka.groupId, HOT_RETENTION_MS, leaderKey(config.kafka.groupId)),
    history,
    bus: new RedisLiveBus(redis, config.kafka.groupId, { replayFrames: LIVE_LIMITS.replayFrames, queryLeaseMs: QUERY_LEASE_MS }),
    ledger: new RedisConnectionLedger(redis, config.kafka.groupId, CONNECTION_LEASE_MS),
    checks: [
      { name: 'kafka', ping: () => log.ping() },
      { name: 'redis', ping: async () => void (await redis.ping()) },
      { name: 'victoriametrics', ping: () => history.ping() },
    ],
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export async function startApp(config: Config): Promise<App> {
  const definitions = loadMetricFiles(config.metricsDir ?? join(__dirname, '..', 'metrics'));
  // Collector keys are parsed first: a bad one stops the start before any connection is made.
  // With auth on (PANECAST_AUTH, the default in services mode) nothing is writable without a key:
  // no keys configured means every collector request is refused, not an open collector.
  const apiKeys =
    config.collector.apiKeys !== undefined ? parseApiKeys(config.collector.apiKeys) : config.live.auth ? parseApiKeys('') : undefined;
  if (config.collector.apiKeys === undefined && config.live.auth) {
    console.warn('panecast: PANECAST_API_KEYS is not set while auth is on, so every collector request is refused');
  }
  // Live auth guards the read routes too (http/read-auth.ts): tokens are minted for read keys.
  const secrets = config.live.auth ? parseSecrets(config.live.tokenSecrets) : [];
  const signing = secrets[0];
  const readAuth = signing === undefined ? undefined : createReadAuth(parseApiKeys(config.live.readKeys ?? '', 'PANECAST_READ_KEYS'), signing);
  // Collector keys sit in browser pages (the SDK's key is public): one that also reads makes every read public.
  if (config.collector.apiKeys !== undefined && config.live.readKeys !== undefined && sharesAKey(config.collector.apiKeys, config.live.readKeys)) {
    throw new ConfigError('PANECAST_READ_KEYS', 'a read key is also a collector key (PANECAST_API_KEYS); collector keys are public in browser pages, so every read would be public');
  }
  if (readAuth !== undefined && config.live.readKeys === undefined) {
    console.warn('panecast: PANECAST_READ_KEYS is not set while live auth is on, so every read is refused');
  }
  const adapters = adaptersFor(config);
  const { log, paneState, hotStore, history, bus, checks } = adapters;
  // The stores' own connections first (the live bus holds a subscriber of its own), then the shared one.
  const closeStores = async () => {
    await Promise.allSettled([log.close(), hotStore.close(), history.close(), bus.close()]);
    await adapters.close();
  };
  const storedPaneMs = await reaching('Redis', 'PANECAST_REDIS_URL', () => paneState.claimMark(PANE_SIZE_MARK, config.window.paneMs), closeStores);
  if (storedPaneMs !== config.window.paneMs) {
    await closeStores();
    throw new ConfigError(
      'PANECAST_PANE_MS',
      `is ${config.window.paneMs} ms, but consumer group ${config.kafka.groupId} stores its panes in ${storedPaneMs} ms panes; keep ${storedPaneMs}, or start a new group (PANECAST_KAFKA_GROUP)`,
    );
  }
  await reaching('Kafka', 'PANECAST_KAFKA_BROKERS', () => log.ensureTopic(), closeStores);
  const collector = new Collector(log, { maxBatchEvents: config.collector.maxBatchEvents });
  const engineOptions = { paneMs: config.window.paneMs, allowedLatenessMs: config.window.allowedLatenessMs };
  const processor = new Processor(log, paneState, definitions, {
    groupId: config.kafka.groupId,
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    engine: engineOptions,
    dedup: { store: adapters.dedup, windowMs: config.collector.idempotencyWindowMs, maxEntries: DEFAULT_DEDUP_MAX_ENTRIES },
  });
  const storeOptions = resolveStoreOptions(engineOptions);
  const composer = new LiveComposer(bus, paneState, definitions, defaultSubscriptions(definitions, config.window.paneMs), [hotStore], {
    instanceId: config.instanceId,
    store: storeOptions,
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    idleMs: config.window.idleMs,
    tickMs: 250,
    composeDelayMs: 20,
    seriesIntervalMs: 250,
    leaseMs: 3000,
    backfillWindows: 60,
    // An idle partition follows the clock only with nothing of it waiting in the log.
    log,
  });
  const gateway = new LiveGateway(bus, adapters.ledger, definitions, {
    ...GATEWAY_DEFAULTS,
    instanceId: config.instanceId,
    heartbeatMs: config.live.heartbeatMs,
    maxConnectionsPerSubject: config.live.maxConnectionsPerKey,
    maxQueriesPerTenant: config.live.maxQueriesPerTenant,
    expiryNoticeMs: config.live.expiryNoticeMs,
    paneMs: config.window.paneMs,
    maxLiveWindowMs: storeOptions.fineRetentionMs,
    secrets,
    allowedOrigins: parseOriginAllowList(config.live.allowedOrigins),
  });
  const historyWriter = new HistoryWriter(paneState, log, definitions, history, {
    paneMs: config.window.paneMs,
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    idleMs: config.window.idleMs,
    allowedLatenessMs: config.window.allowedLatenessMs,
    tickMs: 1000,
    maxPanesPerTick: 300,
    initialLookbackMs: 2 * 60_000,
    retentionMs: storeOptions.fineRetentionMs + storeOptions.allowedLatenessMs,
    holdMs: config.historyHoldMs,
  });
  // Each worker is safe to run in any number of processes (consumer group, composer lease,
  // history cursor); PANECAST_WORKERS only decides which of them this process spends its core on.
  if (config.mode === 'services' && config.workers.size < WORKERS.length) {
    console.log(`panecast: workers in this process: ${[...config.workers].join(', ') || 'none'}`);
  }
  if (config.workers.has('processor')) {
    await processor.start();
  }
  if (config.workers.has('composer')) {
    await composer.start();
  }
  if (config.workers.has('history')) {
    historyWriter.start();
  }

  const metricsList = definitions.map((definition) => ({
    name: definition.name,
    description: definition.description,
    unit: definition.unit,
    dimensions: definition.dimensions,
    aggregates: servableAggregates(definition),
  }));
  const tierOptions = { store: storeOptions, outOfOrdernessMs: config.window.outOfOrdernessMs, idleMs: config.window.idleMs };
  const reads = new PerTenant(definitions, (visible) => {
    const names = new Set(visible.map((definition) => definition.name));
    return {
      window: new WindowQueryService(paneState, visible, tierOptions),
      history: new HistoryQueryService(paneState, history, visible, tierOptions),
      dimensions: new DimensionValuesService(paneState, visible, tierOptions),
      // The gateway's own limit (maxLiveWindowMs above): the datasource reads it to keep longer windows history only.
      catalogue: { paneMs: config.window.paneMs, maxLiveWindowMs: storeOptions.fineRetentionMs, metrics: metricsList.filter((metric) => names.has(metric.name)) } satisfies MetricCatalogue,
    };
  });
  // GET /metrics reads the same components /v1/stats does, at scrape time (observe/figures.ts).
  const selfMetrics = new SelfMetrics(
    { mode: config.mode, instanceId: config.instanceId, collector, processor, composer, history: historyWriter, gateway, clock: Date.now },
    definitions,
  );
  const server = createHttpServer({
    readAuth,
    exposition: (reader) => selfMetrics.expose(reader),
    query: (params, reader) => reads.for(reader?.tenant).window.run(params),
    history: (params, reader) => reads.for(reader?.tenant).history.run(params),
    dimensions: (params, reader) => reads.for(reader?.tenant).dimensions.run(params),
    liveToken: (reader) => (reader === undefined || signing === undefined ? OPEN_LIVE_TOKEN : mintLiveToken(reader, signing, config.live.tokenTtlMs, Date.now())),
    collector,
    apiKeys,
    checks,
    maxBodyBytes: config.collector.maxBodyBytes,
    bodyMemoryBytes: config.collector.bodyMemoryBytes,
    requestTimeoutMs: config.collector.requestTimeoutMs,
    publicDir: join(__dirname, '..', 'public'),
    metrics: (reader) => reads.for(reader?.tenant).catalogue,
    stats: (reader) => {
      // Per-metric figures name metrics: a reader sees its tenant's only (http/stats-scope.ts).
      const visible = visibleMetricNames(reader, definitions);
      const processed = processor.snapshot();
      return {
        mode: config.mode,
        instance: config.instanceId,
        collector: collector.stats,
        processor: { ...processed, overflowEvents: onlyVisible(processed.overflowEvents, visible) },
        composer: composer.snapshot(),
        history: historyWriter.snapshot(),
        engines: processor.engines().map((engine) => {
          const stats = engine.stats();
          return { ...stats, metrics: onlyVisible(stats.metrics, visible) };
        }),
        live: gateway.stats(),
      };
    },
  });
  gateway.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const stopDemo = config.demoEventsPerSec > 0 ? startDemoTraffic(collector, config.demoEventsPerSec) : () => {};

  return {
    url: `http://${host}:${address.port}`,
    definitions,
    collector,
    processor,
    composer,
    bus,
    historyWriter,
    log,
    paneState,
    hotStore,
    history,
    gateway,
    stop: async () => {
      stopDemo();
      // WebSockets first: upgraded sockets would keep server.close() waiting.
      await gateway.close();
      // Requests in flight (a batch waiting for Kafka) get their answer; new ones are refused (http/drain.ts).
      await closeGracefully(server);
      await processor.stop();
      await composer.stop();
      await historyWriter.stop();
      await closeStores();
    },
  };
}
