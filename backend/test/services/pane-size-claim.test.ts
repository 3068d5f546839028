/**
 * A consumer group's panes are stored in one pane size: a restart with another
 * PANECAST_PANE_MS once started anyway, rejected every stored partial on load
 * (a console error only) and so lost them to itself and to history.
 */
import { startApp } from '../../src/app';
import { ConfigError, loadConfig } from '../../src/config';
import { servicesConfig } from './services-env';

it('refuses to start a group with another pane size than its panes are stored in, naming the setting', async () => {
  const first = servicesConfig('pane-size');
  const app = await startApp(first);
  await app.stop();
  // The same group and topic, with half the pane size.
  const env = { PANECAST_MODE: 'services', PANECAST_PORT: '0', PANECAST_AUTH: 'off', PANECAST_PANE_MS: '500' };
  const changed = loadConfig({
    ...env,
    PANECAST_KAFKA_BROKERS: first.kafka.brokers.join(','),
    PANECAST_REDIS_URL: first.redisUrl,
    PANECAST_VM_URL: first.vmUrl,
    PANECAST_KAFKA_TOPIC: first.kafka.topic,
    PANECAST_KAFKA_GROUP: first.kafka.groupId,
  });
  const refused = startApp(changed);
  await expect(refused).rejects.toBeInstanceOf(ConfigError);
  await expect(refused).rejects.toThrow(`PANECAST_PANE_MS: is 500 ms, but consumer group ${first.kafka.groupId} stores its panes in 1000 ms panes`);
  // The configured size starts again.
  const again = await startApp(first);
  await again.stop();
}, 60_000);
