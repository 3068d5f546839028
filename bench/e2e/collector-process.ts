/**
 * The collector alone, for the `split` shape of the e2e benchmark: the
 * backend's own collector and HTTP server (as built, backend/dist) on the
 * configured Kafka producer, without a processor, so collecting and
 * processing run on separate event loops as a deployment would run them.
 * Configured by the same environment as the backend; prints the same
 * "live page at" line the benchmark waits for.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

type CollectorModule = typeof import('../../backend/src/collect/collector');
type ConfigModule = typeof import('../../backend/src/config');
type KafkaLogsModule = typeof import('../../backend/src/buffer/kafka-logs');
type ServerModule = typeof import('../../backend/src/http/server');

const DIST = join(__dirname, '..', '..', 'backend', 'dist');
const { Collector } = require(join(DIST, 'collect', 'collector.js')) as CollectorModule;
const { loadConfig } = require(join(DIST, 'config.js')) as ConfigModule;
const { createKafkaLog } = require(join(DIST, 'buffer', 'kafka-logs.js')) as KafkaLogsModule;
const { createHttpServer } = require(join(DIST, 'http', 'server.js')) as ServerModule;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createKafkaLog(config.kafka);
  await log.ensureTopic();
  const collector = new Collector(log, { maxBatchEvents: config.collector.maxBatchEvents });
  const notHere = async () => {
    throw new Error('the collector process serves POST /v1/events and /v1/stats only');
  };
  const server = createHttpServer({
    collector,
    checks: [{ name: 'kafka', ping: () => log.ping() }],
    maxBodyBytes: config.collector.maxBodyBytes,
    bodyMemoryBytes: config.collector.bodyMemoryBytes,
    requestTimeoutMs: config.collector.requestTimeoutMs,
    metrics: () => ({ metrics: [] }),
    query: notHere,
    history: notHere,
    dimensions: notHere,
    stats: () => ({ collector: collector.stats }),
    publicDir: join(DIST, '..', 'public'),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  console.log(`collector: live page at http://${address}:${port}/`);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    log.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('collector process: failed to start', error);
  process.exit(1);
});
