/**
 * Composition: config → adapters → pipeline → servers. The embedded mode and
 * the services mode differ only in which adapter stands behind each port.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { EventLog } from './buffer/event-log';
import { KafkaLog } from './buffer/kafka-log';
import { MemoryLog } from './buffer/memory-log';
import { Collector } from './collect/collector';
import type { Config } from './config';
import { startDemoTraffic } from './demo/traffic';
import { createHttpServer, type ReadinessCheck } from './http/server';
import { LiveGateway } from './live/gateway';
import { loadMetricFiles } from './metrics-files';
import { defaultSubscriptions, WindowEmitter } from './process/emitter';
import { HistoryWriter } from './process/history-writer';
import { Processor } from './process/processor';
import { WindowQueryService } from './query/window-query';
import type { History } from './store/history';
import type { HotStore } from './store/hot-store';
import { MemoryHistory } from './store/memory-history';
import { MemoryHotStore } from './store/memory-hot-store';
import { MemoryPaneState } from './store/memory-pane-state';
import type { PaneStateStore } from './store/pane-state';
import { RedisHotStore } from './store/redis-hot-store';
import { RedisPaneState } from './store/redis-pane-state';
import { VictoriaMetricsHistory } from './store/victoria-metrics-history';
import { resolveStoreOptions, servableAggregates, type MetricDefinition } from './window';

/** Composed values stay in the hot store this long after their last write. */
const HOT_RETENTION_MS = 2 * 3600_000;

export interface App {
  url: string;
  definitions: readonly MetricDefinition[];
  collector: Collector;
  processor: Processor;
  emitter: WindowEmitter;
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
  hotStore: HotStore;
  history: History;
  checks: ReadinessCheck[];
  close(): Promise<void>;
}

function adaptersFor(config: Config): Adapters {
  if (config.mode === 'embedded') {
    return {
      log: new MemoryLog(config.kafka.partitions),
      paneState: new MemoryPaneState(),
      hotStore: new MemoryHotStore(HOT_RETENTION_MS),
      history: new MemoryHistory(),
      checks: [],
      close: async () => {},
    };
  }
  const log = new KafkaLog({ ...config.kafka });
  // One connection for all Redis work; auto-pipelining batches the commands
  // issued in one tick into one round trip.
  const redis = new Redis(config.redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  redis.on('error', (error: Error) => console.warn(`redis: ${error.message}`));
  const history = new VictoriaMetricsHistory(config.vmUrl);
  return {
    log,
    paneState: new RedisPaneState(redis, config.kafka.groupId),
    hotStore: new RedisHotStore(redis, HOT_RETENTION_MS),
    history,
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
  const adapters = adaptersFor(config);
  const { log, paneState, hotStore, history, checks } = adapters;
  await log.ensureTopic();
  const gateway = new LiveGateway({ instanceId: config.instanceId });
  const collector = new Collector(log, { maxBatchEvents: config.collector.maxBatchEvents });
  const engineOptions = { paneMs: config.window.paneMs, allowedLatenessMs: config.window.allowedLatenessMs };
  const processor = new Processor(log, paneState, definitions, {
    groupId: config.kafka.groupId,
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    engine: engineOptions,
  });
  const emitter = new WindowEmitter(processor, definitions, defaultSubscriptions(definitions, config.window.paneMs), [hotStore, gateway], {
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    idleMs: config.window.idleMs,
    tickMs: 250,
    paneMs: config.window.paneMs,
    maxPendingPerSink: 10_000,
  });
  const historyWriter = new HistoryWriter(paneState, definitions, history, {
    paneMs: config.window.paneMs,
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    idleMs: config.window.idleMs,
    allowedLatenessMs: config.window.allowedLatenessMs,
    tickMs: 1000,
    maxPanesPerTick: 300,
    initialLookbackMs: 2 * 60_000,
  });
  await processor.start();
  emitter.start();
  historyWriter.start();

  const metricsList = definitions.map((definition) => ({
    name: definition.name,
    description: definition.description,
    unit: definition.unit,
    dimensions: definition.dimensions,
    aggregates: servableAggregates(definition),
  }));
  const windowQuery = new WindowQueryService(paneState, definitions, {
    store: resolveStoreOptions(engineOptions),
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    idleMs: config.window.idleMs,
  });
  const server = createHttpServer({
    query: (params) => windowQuery.run(params),
    collector,
    checks,
    maxBodyBytes: config.collector.maxBodyBytes,
    publicDir: join(__dirname, '..', 'public'),
    metrics: () => ({ paneMs: config.window.paneMs, metrics: metricsList }),
    stats: () => ({
      mode: config.mode,
      instance: config.instanceId,
      collector: collector.stats,
      processor: processor.snapshot(),
      emitter: emitter.snapshot(),
      history: historyWriter.snapshot(),
      engines: processor.engines().map((engine) => engine.stats()),
      live: { connections: gateway.connections, skippedUpdates: gateway.skippedUpdates },
    }),
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
    emitter,
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
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await processor.stop();
      await emitter.stop();
      await historyWriter.stop();
      await Promise.allSettled([log.close(), hotStore.close(), history.close()]);
      await adapters.close();
    },
  };
}
