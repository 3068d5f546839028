/**
 * Addresses of the real services for the integration tests: from the
 * environment that `npm test` exports (services.sh env), else the defaults.
 */
import { loadConfig, type Config } from '../../src/config';

export const KAFKA_BROKERS = process.env.PANECAST_KAFKA_BROKERS ?? '127.0.0.1:19092';
export const REDIS_URL = process.env.PANECAST_REDIS_URL ?? 'redis://127.0.0.1:16379';
export const VM_URL = process.env.PANECAST_VM_URL ?? 'http://127.0.0.1:18428';

/** A services-mode config on its own topic and group, so test files do not see each other's events. */
export function servicesConfig(name: string, extra: Record<string, string> = {}): Config {
  const run = `${name}-${Date.now().toString(36)}-${process.pid}`;
  return loadConfig({
    PANECAST_MODE: 'services',
    PANECAST_PORT: '0',
    PANECAST_KAFKA_BROKERS: KAFKA_BROKERS,
    PANECAST_REDIS_URL: REDIS_URL,
    PANECAST_VM_URL: VM_URL,
    PANECAST_KAFKA_TOPIC: `panecast.test.${run}`,
    PANECAST_KAFKA_GROUP: `panecast-test-${run}`,
    PANECAST_KAFKA_PARTITIONS: '3',
    PANECAST_OUT_OF_ORDERNESS_MS: '500',
    PANECAST_IDLE_MS: '500',
    // Pipeline tests; the live channel's credentials have tests of their own (live-gateways, test/embedded/live-*).
    PANECAST_AUTH: 'off',
    // The Kafka client libraries chosen for this run, if any (config.ts, buffer/kafka-logs.ts).
    ...Object.fromEntries(['PANECAST_KAFKA_PRODUCER', 'PANECAST_KAFKA_CONSUMER'].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]]))),
    ...extra,
  });
}

/** Asks VictoriaMetrics to make fresh samples searchable now. */
export async function flushVictoriaMetrics(): Promise<void> {
  const response = await fetch(`${VM_URL}/internal/force_flush`);
  if (!response.ok) {
    throw new Error(`force_flush answered ${response.status}`);
  }
}

/** Value of a series at one instant from /api/v1/query_range, or undefined when absent. */
export async function vmValueAt(query: string, at: number): Promise<number | undefined> {
  const seconds = at / 1000;
  const url = new URL(`${VM_URL}/api/v1/query_range`);
  url.searchParams.set('query', query);
  url.searchParams.set('start', String(seconds));
  url.searchParams.set('end', String(seconds));
  url.searchParams.set('step', '1s');
  const response = await fetch(url);
  const body = (await response.json()) as {
    status: string;
    data: { result: Array<{ values: Array<[number, string]> }> };
  };
  if (body.status !== 'success') {
    throw new Error(`query_range failed: ${JSON.stringify(body)}`);
  }
  const point = body.data.result[0]?.values.find(([time]) => time === seconds);
  return point === undefined ? undefined : Number(point[1]);
}
