import { ConfigError, loadConfig } from './config';

const SECRET = 'config-read-keys-secret-0123456789abcdef';

describe('read keys and live token lifetime', () => {
  it('default to no read keys and one-hour tokens', () => {
    const live = loadConfig({}).live;
    expect([live.readKeys, live.tokenTtlMs]).toEqual([undefined, 3_600_000]);
    expect(loadConfig({ PANECAST_READ_KEYS: ' ' }).live.readKeys).toBeUndefined();
  });

  it('keep the read keys as configured, for parseApiKeys at start-up', () => {
    const config = loadConfig({ PANECAST_LIVE_AUTH: 'on', PANECAST_TOKEN_SECRETS: SECRET, PANECAST_READ_KEYS: 'acme:acme-read-0123456789' });
    expect(config.live.readKeys).toBe('acme:acme-read-0123456789');
  });

  it.each(['119999', '604800001', '1h'])('refuse a token lifetime of %s, naming the variable', (value) => {
    expect(() => loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: value })).toThrow(/^PANECAST_LIVE_TOKEN_TTL_MS: /);
  });

  it('accept a lifetime of two minutes (twice the expiry notice) up to a week', () => {
    expect(loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: '120000' }).live.tokenTtlMs).toBe(120_000);
    expect(loadConfig({ PANECAST_LIVE_TOKEN_TTL_MS: '604800000' }).live.tokenTtlMs).toBe(604_800_000);
  });
});
