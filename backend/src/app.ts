/**
 * Composition: config → adapters → pipeline → servers. The embedded mode and
 * the services mode differ only in which adapter stands behind each port.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { EventLog } from './buffer/event-log';
import { KafkaLog } from './buffer/kafka-log';
import { MemoryLog } from './buffer/memory-log';
import { Collector } from './collect/collector';
import type { Config } from './config';
import { startDemoTraffic } from './demo/traffic';
import { createHttpServer, type ReadinessCheck } from './http/server';
import { LiveGateway } from './live/gateway';
import { Processor } from './process/processor';
import type { History } from './store/history';
import type { HotStore } from './store/hot-store';
import { MemoryHistory } from './store/memory-history';
import { MemoryHotStore } from './store/memory-hot-store';
import { RedisHotStore } from './store/redis-hot-store';
import { VictoriaMetricsHistory } from './store/victoria-metrics-history';

/** Closed windows stay in the hot store this long after their last write. */
const HOT_RETENTION_MS = 2 * 3600_000;

export interface App {
  url: string;
  collector: Collector;
  processor: Processor;
  log: EventLog;
  hotStore: HotStore;
  history: History;
  gateway: LiveGateway;
  stop(): Promise<void>;
}

interface Adapters {
  log: EventLog;
  hotStore: HotStore;
  history: History;
  checks: ReadinessCheck[];
}

function adaptersFor(config: Config): Adapters {
  if (config.mode === 'embedded') {
    const log = new MemoryLog(config.kafka.partitions);
    return { log, hotStore: new MemoryHotStore(HOT_RETENTION_MS), history: new MemoryHistory(), checks: [] };
  }
  const log = new KafkaLog({ ...config.kafka });
  const hotStore = new RedisHotStore(config.redisUrl, HOT_RETENTION_MS);
  const history = new VictoriaMetricsHistory(config.vmUrl);
  return {
    log,
    hotStore,
    history,
    checks: [
      { name: 'kafka', ping: () => log.ping() },
      { name: 'redis', ping: () => hotStore.ping() },
      { name: 'victoriametrics', ping: () => history.ping() },
    ],
  };
}

export async function startApp(config: Config): Promise<App> {
  const { log, hotStore, history, checks } = adaptersFor(config);
  await log.ensureTopic();
  const gateway = new LiveGateway({ instanceId: config.instanceId });
  const collector = new Collector(log, { maxBatchEvents: config.collector.maxBatchEvents });
  const processor = new Processor(log, [hotStore, history, gateway], {
    groupId: config.kafka.groupId,
    sizeMs: config.window.sizeMs,
    outOfOrdernessMs: config.window.outOfOrdernessMs,
    idleMs: config.window.idleMs,
    tickMs: 100,
    maxPendingPerSink: 10_000,
  });
  await processor.start();

  const server = createHttpServer({
    collector,
    checks,
    maxBodyBytes: config.collector.maxBodyBytes,
    publicDir: join(__dirname, '..', 'public'),
    stats: () => ({
      mode: config.mode,
      instance: config.instanceId,
      collector: collector.stats,
      processor: processor.snapshot(),
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
    collector,
    processor,
    log,
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
      await Promise.allSettled([log.close(), hotStore.close(), history.close()]);
    },
  };
}
