import { ConfigError, loadConfig } from './config';

const SECRET = 'a-config-test-secret-of-at-least-32-bytes';

describe('loadConfig', () => {
  it('gives working defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('embedded');
    expect(config.port).toBe(8080);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.kafka).toMatchObject({ producer: 'platformatic', consumer: 'kafkajs' });
    expect(config.window.paneMs).toBe(1000);
    expect(config.window.allowedLatenessMs).toBe(60_000);
    expect(config.demoEventsPerSec).toBeGreaterThan(0);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('runs every background worker unless PANECAST_WORKERS picks some', () => {
    expect([...loadConfig({}).workers].sort()).toEqual(['composer', 'history', 'processor']);
    expect([...loadConfig({ PANECAST_WORKERS: 'all' }).workers].sort()).toEqual(['composer', 'history', 'processor']);
    expect(loadConfig({ PANECAST_WORKERS: 'none' }).workers.size).toBe(0);
    expect([...loadConfig({ PANECAST_WORKERS: 'processor, history' }).workers].sort()).toEqual(['history', 'processor']);
    expect(() => loadConfig({ PANECAST_WORKERS: 'processor,collector' })).toThrow(/PANECAST_WORKERS.*"collector" is not a worker/);
  });

  it('turns demo traffic off by default in services mode', () => {
    expect(loadConfig({ PANECAST_MODE: 'services', PANECAST_TOKEN_SECRETS: SECRET }).demoEventsPerSec).toBe(0);
  });

  it('requires live-channel token secrets in services mode unless live auth is turned off', () => {
    expect(() => loadConfig({ PANECAST_MODE: 'services' })).toThrow(ConfigError);
    expect(() => loadConfig({ PANECAST_MODE: 'services' })).toThrow(/PANECAST_TOKEN_SECRETS/);
    expect(loadConfig({ PANECAST_MODE: 'services', PANECAST_AUTH: 'off' }).live.auth).toBe(false);
    expect(loadConfig({}).live).toMatchObject({ auth: false, allowedOrigins: '*', heartbeatMs: 15_000, maxQueriesPerTenant: 1000 });
    expect(loadConfig({ PANECAST_AUTH: 'on', PANECAST_TOKEN_SECRETS: SECRET }).live.auth).toBe(true);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      PANECAST_MODE: 'services',
      PANECAST_HOST: '0.0.0.0',
      PANECAST_PORT: '9000',
      PANECAST_KAFKA_BROKERS: 'a:1, b:2',
      PANECAST_KAFKA_TOPIC: 't',
      PANECAST_KAFKA_PARTITIONS: '3',
      PANECAST_KAFKA_GROUP: 'g',
      PANECAST_REDIS_URL: 'redis://r:1/',
      PANECAST_VM_URL: 'http://vm:2/',
      PANECAST_PANE_MS: '500',
      PANECAST_ALLOWED_LATENESS_MS: '10000',
      PANECAST_METRICS_DIR: '/etc/panecast',
      PANECAST_OUT_OF_ORDERNESS_MS: '0',
      PANECAST_IDLE_MS: '500',
      PANECAST_DEMO_EVENTS_PER_SEC: '7',
      PANECAST_TOKEN_SECRETS: SECRET,
      PANECAST_ALLOWED_ORIGINS: 'https://grafana.example',
      PANECAST_LIVE_HEARTBEAT_MS: '2000',
      PANECAST_MAX_QUERIES_PER_TENANT: '50',
    });
    expect(config).toMatchObject({
      mode: 'services',
      host: '0.0.0.0',
      port: 9000,
      kafka: { brokers: ['a:1', 'b:2'], topic: 't', partitions: 3, groupId: 'g' },
      redisUrl: 'redis://r:1',
      vmUrl: 'http://vm:2',
      metricsDir: '/etc/panecast',
      window: { paneMs: 500, allowedLatenessMs: 10_000, outOfOrdernessMs: 0, idleMs: 500 },
      demoEventsPerSec: 7,
      live: { auth: true, tokenSecrets: SECRET, allowedOrigins: 'https://grafana.example', heartbeatMs: 2000, maxQueriesPerTenant: 50 },
    });
  });

  it.each([
    ['PANECAST_MODE', 'kafka'],
    ['PANECAST_PORT', 'eighty'],
    ['PANECAST_PORT', '70000'],
    ['PANECAST_KAFKA_BROKERS', 'localhost'],
    ['PANECAST_KAFKA_BROKERS', ' , '],
    ['PANECAST_KAFKA_TOPIC', 'has space'],
    ['PANECAST_REDIS_URL', 'http://r:1'],
    ['PANECAST_VM_URL', 'not a url'],
    ['PANECAST_PANE_MS', '10'],
    ['PANECAST_PANE_MS', '700'],
    ['PANECAST_ALLOWED_LATENESS_MS', '-1'],
    ['PANECAST_KAFKA_PARTITIONS', '0'],
    ['PANECAST_KAFKA_PRODUCER', 'librdkafka'],
    ['PANECAST_KAFKA_CONSUMER', 'kafka.js'],
    ['PANECAST_AUTH', 'maybe'],
    ['PANECAST_LIVE_HEARTBEAT_MS', '5'],
    ['PANECAST_MAX_QUERIES_PER_TENANT', '0'],
    ['PANECAST_MAX_QUERIES_PER_TENANT', '100001'],
  ])('stops on a bad %s (%s) and names the variable', (variable, value) => {
    let thrown: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toContain(variable);
  });
});
