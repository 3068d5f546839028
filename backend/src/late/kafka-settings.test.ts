import { ConfigError, kafkaConfig, loadConfig } from '../config';

describe('the late tool reads Kafka settings as the backend does', () => {
  it('same defaults and values as loadConfig', () => {
    expect(kafkaConfig({})).toEqual(loadConfig({}).kafka);
    const env = { PANECAST_KAFKA_BROKERS: 'k1:9092, k2:9093', PANECAST_KAFKA_TOPIC: 'games', PANECAST_KAFKA_CLIENT_ID: 'ops' };
    expect(kafkaConfig(env)).toEqual(loadConfig(env).kafka);
    expect(kafkaConfig(env)).toMatchObject({ brokers: ['k1:9092', 'k2:9093'], topic: 'games', clientId: 'ops' });
  });

  it('needs none of the secrets a services process needs', () => {
    const env = { PANECAST_MODE: 'services' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(kafkaConfig(env).brokers).toEqual(['127.0.0.1:19092']);
  });

  it('refuses a bad setting naming it', () => {
    expect(() => kafkaConfig({ PANECAST_KAFKA_BROKERS: 'nohost' })).toThrow(expect.objectContaining({ variable: 'PANECAST_KAFKA_BROKERS' }));
  });
});
