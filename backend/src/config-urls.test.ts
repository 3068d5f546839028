import { ConfigError, loadConfig } from './config';

/** What a start-up failure prints: the error's message, as main.ts logs it. */
function failure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the configuration was accepted');
}

describe('service URLs', () => {
  it('keep a Redis password, which ioredis takes from the URL', () => {
    expect(loadConfig({ PANECAST_REDIS_URL: 'redis://:s3cret-pass@redis.internal:6379/' }).redisUrl).toBe('redis://:s3cret-pass@redis.internal:6379');
  });

  it.each([
    ['PANECAST_REDIS_URL', 'http://:s3cret-pass@redis.internal:6379'],
    ['PANECAST_REDIS_URL', 'redis://:s3cret-pass@redis internal:6379'],
    ['PANECAST_REDIS_URL', 'redis://:s3cret/pass@[::1'],
    ['PANECAST_VM_URL', 'ftp://vm:s3cret-pass@vm.internal'],
  ])('name %s but never echo its password when refusing it', (name, value) => {
    const message = failure({ [name]: value });
    expect(message.startsWith(`${name}: `)).toBe(true);
    expect(message).not.toContain('s3cret');
  });

  // fetch refuses URLs with credentials, naming the whole URL in its error, which GET /readyz
  // would show to anyone: refuse them at start-up instead of failing every request.
  it.each(['http://vm:s3cret-pass@vm.internal:8428', 'https://:s3cret-pass@vm.internal', 'http://vm@vm.internal'])(
    'refuse credentials in PANECAST_VM_URL (%s), without echoing them',
    (value) => {
      const message = failure({ PANECAST_VM_URL: value });
      expect(message).toMatch(/^PANECAST_VM_URL: .*credentials/);
      expect(message).not.toContain('s3cret');
    },
  );
});
