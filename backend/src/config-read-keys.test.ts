import { ConfigError, loadConfig } from './config';

const SECRET = 'config-read-keys-secret-0123456789abcdef';

describe('read keys and live token lifetime', () => {
  it('default to no read keys and one-hour tokens', () => {
    const live = loadConfig({}).live;
    expect([live.readKeys, live.tokenTtlMs, live.expiryNoticeMs]).toEqual([undefined, 3_600_000, 60_000]);
    expect(loadConfig({ PANECAST_READ_KEYS: ' ' }).live.readKeys).toBeUndefined();
  });

  it('keep the read keys as configured, for parseApiKeys at start-up', () => {
    const config = loadConfig({ PANECAST_AUTH: 'on', PANECAST_TOKEN_SECRETS: SECRET, PANECAST_READ_KEYS: 'acme:acme-read-0123456789' });
    expect(config.live.readKeys).toBe('acme:acme-read-0123456789');
  });

  it.each(['119999', '604800001', '1h'])('refuse a token lifetime of %s, naming the variable', (value) => {
    expect(() => loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: value })).toThrow(/^PANECAST_LIVE_TOKEN_TTL_MS: /);
  });

  it('accept a lifetime of twice the expiry notice (60 s by default) up to a week', () => {
    expect(loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: '120000' }).live.tokenTtlMs).toBe(120_000);
    expect(loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: '604800000' }).live.tokenTtlMs).toBe(604_800_000);
    const short = loadConfig({ PANECAST_LIVE_EXPIRY_NOTICE_MS: '5000', PANECAST_LIVE_TOKEN_TTL_MS: '10000' }).live;
    expect([short.expiryNoticeMs, short.tokenTtlMs]).toEqual([5000, 10_000]);
    expect(() => loadConfig({ PANECAST_LIVE_EXPIRY_NOTICE_MS: '5000', PANECAST_LIVE_TOKEN_TTL_MS: '9999' })).toThrow(/at least twice PANECAST_LIVE_EXPIRY_NOTICE_MS/);
    expect(() => loadConfig({ PANECAST_LIVE_EXPIRY_NOTICE_MS: '999' })).toThrow(/^PANECAST_LIVE_EXPIRY_NOTICE_MS: /);
  });
});

describe('a read key that is also a collector key', () => {
  it('stops the start, naming the read keys: collector keys are public in browser pages', async () => {
    const { startApp } = await import('./app');
    const config = loadConfig({
      PANECAST_PORT: '0',
      PANECAST_AUTH: 'on',
      PANECAST_TOKEN_SECRETS: SECRET,
      PANECAST_API_KEYS: 'acme:acme-write-0123456789,globex:shared-key-0123456789',
      PANECAST_READ_KEYS: 'acme:acme-read-0123456789,globex:shared-key-0123456789',
    });
    await expect(startApp(config)).rejects.toThrow(/^PANECAST_READ_KEYS: a read key is also a collector key/);
  });
});
