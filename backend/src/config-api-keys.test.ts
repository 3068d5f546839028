import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { parseApiKeys } from './live/auth';

describe('collector API keys and idempotency settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'panecast-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves the collector open when no keys are configured', () => {
    expect(loadConfig({}).collector.apiKeys).toBeUndefined();
    expect(loadConfig({ PANECAST_API_KEYS: '  ' }).collector.apiKeys).toBeUndefined();
    expect(loadConfig({}).collector.idempotencyWindowMs).toBe(600_000);
  });

  it('reads keys from the variable or from a file with comments and one entry a line', () => {
    expect(loadConfig({ PANECAST_API_KEYS: 'acme:acme-key-0123456789' }).collector.apiKeys).toBe('acme:acme-key-0123456789');
    const file = join(dir, 'keys');
    writeFileSync(file, '# tenant:key\nacme:acme-key-0123456789\n\nglobex:globex-key-0123456789,globex:globex-key-rotated-01\n');
    const text = loadConfig({ PANECAST_API_KEYS_FILE: file }).collector.apiKeys as string;
    const keys = parseApiKeys(text);
    expect(keys.size).toBe(3);
    expect(keys.tenantOf('globex-key-rotated-01')).toBe('globex');
  });

  it('refuses both settings at once, an unreadable file and a bad window, naming the variable', () => {
    expect(() => loadConfig({ PANECAST_API_KEYS: 'a:b', PANECAST_API_KEYS_FILE: 'x' })).toThrow(/^PANECAST_API_KEYS_FILE: set either/);
    expect(() => loadConfig({ PANECAST_API_KEYS_FILE: join(dir, 'missing') })).toThrow(ConfigError);
    expect(() => loadConfig({ PANECAST_API_KEYS_FILE: join(dir, 'missing') })).toThrow(/ENOENT/);
    expect(() => loadConfig({ PANECAST_IDEMPOTENCY_WINDOW_MS: '10' })).toThrow(/^PANECAST_IDEMPOTENCY_WINDOW_MS/);
  });
});
