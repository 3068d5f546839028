import { createHmac } from 'node:crypto';
import { ConfigError } from '../config';
import { ERRORS } from '../errors';
import {
  connectionKey,
  DEFAULT_TENANT,
  metricsVisibleTo,
  parseApiKeys,
  parseSecrets,
  signToken,
  tenantOfMetric,
  tenantOwnsMetric,
  verifyToken,
  type TokenClaims,
} from './auth';
import { originAllowed, parseOriginAllowList } from './origin-allow-list';

const SECRET = 'a'.repeat(32);
const OLD_SECRET = 'old-secret-of-at-least-32-bytes!!';
const NOW = 1_700_000_000_000;
const nowSec = NOW / 1000;
const CLAIMS: TokenClaims = { tenant: 'acme', sub: 'dashboard:ops', iat: nowSec - 10, exp: nowSec + 3600 };

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** What a forger who knows the format but not the secret (or reuses a MAC made elsewhere) produces. */
function forge(payload: object, secret: string, context = ''): string {
  const encoded = b64(JSON.stringify(payload));
  return `${encoded}.${createHmac('sha256', secret)
    .update(context + encoded)
    .digest('base64url')}`;
}

describe('tokens', () => {
  it('round-trips claims and returns them frozen', () => {
    const token = signToken(CLAIMS, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const result = verifyToken(token, [SECRET], NOW);
    expect(result).toEqual({ ok: true, claims: CLAIMS });
    expect(result.ok && Object.isFrozen(result.claims)).toBe(true);
    const withId = { ...CLAIMS, jti: 'Zm9v-bar_1' };
    expect(verifyToken(signToken(withId, SECRET), [SECRET], NOW)).toEqual({ ok: true, claims: withId });
  });

  it('counts connections per token id, or per subject for a token without one', () => {
    expect(connectionKey({ ...CLAIMS, jti: 'a' })).not.toBe(connectionKey({ ...CLAIMS, jti: 'b' }));
    expect(connectionKey(CLAIMS)).toBe(connectionKey({ ...CLAIMS }));
    expect(connectionKey(CLAIMS)).not.toBe(connectionKey({ ...CLAIMS, tenant: 'other' }));
    expect(connectionKey({ ...CLAIMS, jti: 'a' })).not.toBe(connectionKey(CLAIMS));
  });

  it('refuses an expired token from its exp second on, and one issued in the future beyond the skew', () => {
    const token = signToken(CLAIMS, SECRET);
    expect(verifyToken(token, [SECRET], CLAIMS.exp * 1000 - 1).ok).toBe(true);
    expect(verifyToken(token, [SECRET], CLAIMS.exp * 1000)).toEqual({ ok: false, code: 'PANECAST_ERR_TOKEN_EXPIRED' });
    const future = signToken({ ...CLAIMS, iat: nowSec + 120, exp: nowSec + 3600 }, SECRET);
    expect(verifyToken(future, [SECRET], NOW)).toEqual({ ok: false, code: 'PANECAST_ERR_TOKEN_NOT_YET_VALID' });
    expect(verifyToken(future, [SECRET], NOW, { clockSkewSec: 300 }).ok).toBe(true);
    const slightlyAhead = signToken({ ...CLAIMS, iat: nowSec + 30 }, SECRET);
    expect(verifyToken(slightlyAhead, [SECRET], NOW).ok).toBe(true);
  });

  it('refuses a tampered payload or signature', () => {
    const token = signToken(CLAIMS, SECRET);
    const [payload, signature] = token.split('.') as [string, string];
    const otherTenant = b64(JSON.stringify({ ...CLAIMS, tenant: 'evil' }));
    expect(verifyToken(`${otherTenant}.${signature}`, [SECRET], NOW)).toEqual({
      ok: false,
      code: 'PANECAST_ERR_TOKEN_SIGNATURE',
    });
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    expect(verifyToken(`${payload}.${flipped}`, [SECRET], NOW)).toEqual({
      ok: false,
      code: 'PANECAST_ERR_TOKEN_SIGNATURE',
    });
    // Same bytes, non-canonical last character: refused as malformed rather than accepted twice.
    const last = signature[42] as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) + 1] as string;
    expect(Buffer.from(signature.slice(0, 42) + sibling, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(verifyToken(`${payload}.${signature.slice(0, 42)}${sibling}`, [SECRET], NOW)).toEqual({
      ok: false,
      code: 'PANECAST_ERR_TOKEN_MALFORMED',
    });
  });

  it('refuses a token signed with another secret, or a bare HMAC without the token context', () => {
    expect(verifyToken(signToken(CLAIMS, 'b'.repeat(32)), [SECRET], NOW)).toEqual({
      ok: false,
      code: 'PANECAST_ERR_TOKEN_SIGNATURE',
    });
    expect(verifyToken(forge(CLAIMS, SECRET), [SECRET], NOW)).toEqual({
      ok: false,
      code: 'PANECAST_ERR_TOKEN_SIGNATURE',
    });
    expect(verifyToken(forge(CLAIMS, SECRET, 'panecast-live-token.v1.'), [SECRET], NOW).ok).toBe(true);
  });

  it('accepts every configured secret during a rotation and stops once the old one is dropped', () => {
    const before = signToken(CLAIMS, OLD_SECRET);
    const after = signToken(CLAIMS, SECRET);
    const rotating = [SECRET, OLD_SECRET];
    expect(verifyToken(before, rotating, NOW).ok).toBe(true);
    expect(verifyToken(after, rotating, NOW).ok).toBe(true);
    expect(verifyToken(before, [SECRET], NOW)).toEqual({ ok: false, code: 'PANECAST_ERR_TOKEN_SIGNATURE' });
    expect(verifyToken(after, [], NOW)).toEqual({ ok: false, code: 'PANECAST_ERR_TOKEN_SIGNATURE' });
  });

  it('never lets a short (misconfigured) secret verify anything', () => {
    expect(verifyToken(forge(CLAIMS, '', 'panecast-live-token.v1.'), [''], NOW)).toEqual({
      ok: false,
      code: 'PANECAST_ERR_TOKEN_SIGNATURE',
    });
    expect(() => signToken(CLAIMS, 'short')).toThrow(/at least 32 bytes/);
  });

  it.each([
    ['missing', undefined, 'PANECAST_ERR_TOKEN_MISSING'],
    ['empty', '', 'PANECAST_ERR_TOKEN_MISSING'],
    ['not a string', 42, 'PANECAST_ERR_TOKEN_MALFORMED'],
    ['no dot', 'abc', 'PANECAST_ERR_TOKEN_MALFORMED'],
    ['two dots', 'a.b.c', 'PANECAST_ERR_TOKEN_MALFORMED'],
    ['empty payload', `.${'A'.repeat(43)}`, 'PANECAST_ERR_TOKEN_MALFORMED'],
    ['short signature', 'abc.def', 'PANECAST_ERR_TOKEN_MALFORMED'],
    ['padding', `abc.${'A'.repeat(42)}=`, 'PANECAST_ERR_TOKEN_MALFORMED'],
    ['standard base64', `ab+c.${'A'.repeat(43)}`, 'PANECAST_ERR_TOKEN_MALFORMED'],
    ['huge', 'a'.repeat(10_000), 'PANECAST_ERR_TOKEN_MALFORMED'],
  ])('refuses a %s token', (_what, token, code) => {
    expect(verifyToken(token, [SECRET], NOW)).toEqual({ ok: false, code });
  });

  it('refuses correctly signed payloads whose claims are malformed', () => {
    const context = 'panecast-live-token.v1.';
    for (const payload of [
      { ...CLAIMS, tenant: 'Acme' },
      { ...CLAIMS, tenant: 'acme_eu' },
      { ...CLAIMS, sub: '' },
      { ...CLAIMS, sub: 'a\nb' },
      { ...CLAIMS, exp: String(CLAIMS.exp) },
      { ...CLAIMS, exp: CLAIMS.iat },
      { ...CLAIMS, jti: '' },
      { ...CLAIMS, jti: 'has space' },
      { ...CLAIMS, jti: 7 },
      { tenant: 'acme', sub: 'x', iat: nowSec },
    ]) {
      expect(verifyToken(forge(payload, SECRET, context), [SECRET], NOW)).toEqual({
        ok: false,
        code: 'PANECAST_ERR_TOKEN_MALFORMED',
      });
    }
    const notJson = `${b64('{"tenant":')}`;
    const signed = `${notJson}.${createHmac('sha256', SECRET)
      .update(context + notJson)
      .digest('base64url')}`;
    expect(verifyToken(signed, [SECRET], NOW)).toEqual({ ok: false, code: 'PANECAST_ERR_TOKEN_MALFORMED' });
    expect(() => signToken({ ...CLAIMS, tenant: 'Bad Tenant' }, SECRET)).toThrow(/tenant/);
  });

  it('reads secrets from configuration without echoing them', () => {
    expect(parseSecrets(`${SECRET}, ${OLD_SECRET}`).map(String)).toEqual([SECRET, OLD_SECRET]);
    expect(() => parseSecrets('')).toThrow(ConfigError);
    try {
      parseSecrets(`${SECRET},tooshort`);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('PANECAST_TOKEN_SECRETS');
      expect((error as Error).message).toContain('secret 2');
      expect((error as Error).message).not.toContain('tooshort');
    }
  });

  it('uses codes from the catalogue', () => {
    for (const code of [
      'PANECAST_ERR_TOKEN_MISSING',
      'PANECAST_ERR_TOKEN_MALFORMED',
      'PANECAST_ERR_TOKEN_SIGNATURE',
      'PANECAST_ERR_TOKEN_EXPIRED',
      'PANECAST_ERR_TOKEN_NOT_YET_VALID',
    ]) {
      expect(ERRORS).toHaveProperty(code);
    }
  });
});

describe('tenants and metrics', () => {
  const definitions = [
    { name: 'events' },
    { name: 'acme__checkout_ms' },
    { name: 'acmeeu__checkout_ms' },
    { name: 'shared_by_field', tenant: 'globex' },
    { name: 'acme__moved', tenant: 'globex' },
  ];

  it('reads the owner from the tenant field, then the namespace, else the default tenant', () => {
    expect(tenantOfMetric('acme__checkout_ms')).toBe('acme');
    expect(tenantOfMetric('acme__a__b')).toBe('acme');
    expect(tenantOfMetric('ad_impressions')).toBe(DEFAULT_TENANT);
    expect(tenantOfMetric('events')).toBe(DEFAULT_TENANT);
    expect(tenantOfMetric('acme__moved', { name: 'acme__moved', tenant: 'globex' })).toBe('globex');
  });

  it('lets a tenant see only its own metrics', () => {
    expect(tenantOwnsMetric('acme', 'acme__checkout_ms')).toBe(true);
    expect(tenantOwnsMetric('acme', 'acmeeu__checkout_ms')).toBe(false);
    expect(tenantOwnsMetric('acme', 'events')).toBe(false);
    expect(tenantOwnsMetric(DEFAULT_TENANT, 'events')).toBe(true);
    expect(tenantOwnsMetric(DEFAULT_TENANT, 'acme__checkout_ms')).toBe(false);
    expect(tenantOwnsMetric('globex', 'shared_by_field', definitions)).toBe(true);
    expect(tenantOwnsMetric('acme', 'acme__moved', definitions)).toBe(false);
    expect(tenantOwnsMetric('acme', 'acme__unknown', definitions)).toBe(false);
    expect(tenantOwnsMetric('Acme', 'Acme__x')).toBe(false);
  });

  it('filters the definitions a tenant may query', () => {
    expect(metricsVisibleTo('acme', definitions).map((d) => d.name)).toEqual(['acme__checkout_ms']);
    expect(metricsVisibleTo('globex', definitions).map((d) => d.name)).toEqual(['shared_by_field', 'acme__moved']);
    expect(metricsVisibleTo(DEFAULT_TENANT, definitions).map((d) => d.name)).toEqual(['events']);
    expect(metricsVisibleTo('no such!', definitions)).toEqual([]);
  });
});

describe('origins', () => {
  const allow = [
    'https://grafana.example.com',
    'http://localhost:3000',
    'https://*.dash.example.org',
    'https://*.example.net:8443',
  ];

  it.each([
    ['https://grafana.example.com', true],
    ['https://GRAFANA.example.com', true],
    ['http://grafana.example.com', false],
    ['https://grafana.example.com:8443', false],
    ['https://evil-grafana.example.com', false],
    ['https://grafana.example.com.evil.io', false],
    ['http://localhost:3000', true],
    ['http://localhost:3001', false],
    ['https://a.dash.example.org', true],
    ['https://a.b.dash.example.org', true],
    ['https://dash.example.org', false],
    ['https://evildash.example.org', false],
    ['https://x.example.net:8443', true],
    ['https://x.example.net', false],
    ['null', false],
    ['https://grafana.example.com/', false],
    ['https://user@grafana.example.com', false],
    ['not an origin', false],
    ['', false],
  ])('%s → %s', (origin, allowed) => {
    expect(originAllowed(origin, allow)).toBe(allowed);
  });

  it('allows requests without an Origin header (not a browser page) and everything only with *', () => {
    expect(originAllowed(undefined, [])).toBe(true);
    expect(originAllowed('https://anything.io', [])).toBe(false);
    expect(originAllowed('https://anything.io', ['*'])).toBe(true);
  });

  it('validates the allow-list at start-up, naming the setting and the entry', () => {
    expect(parseOriginAllowList(' https://a.example.com , https://*.example.org,')).toEqual([
      'https://a.example.com',
      'https://*.example.org',
    ]);
    for (const bad of [
      'https://a.example.com/',
      'grafana.example.com',
      'ftp://a.example.com',
      'https://*.com',
      'https://a.*.example.com',
    ]) {
      expect(() => parseOriginAllowList(bad)).toThrow(ConfigError);
      expect(() => parseOriginAllowList(bad)).toThrow(/PANECAST_ALLOWED_ORIGINS/);
    }
  });
});

describe('collector API keys', () => {
  const KEY_A = 'key-a-0123456789abcdef';
  const KEY_A2 = 'key-a-rotated-0123456789';
  const KEY_B = 'key:b:0123456789abcdef';

  it('maps each key to its tenant, several keys per tenant', () => {
    const keys = parseApiKeys(`acme:${KEY_A}, acme:${KEY_A2},globex:${KEY_B}`);
    expect(keys.size).toBe(3);
    expect(keys.tenantOf(KEY_A)).toBe('acme');
    expect(keys.tenantOf(KEY_A2)).toBe('acme');
    expect(keys.tenantOf(KEY_B)).toBe('globex');
  });

  it('refuses unknown, near-miss, empty and absent keys', () => {
    const keys = parseApiKeys(`acme:${KEY_A}`);
    for (const key of [undefined, '', KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase(), 'x'.repeat(5000)]) {
      expect(keys.tenantOf(key)).toBeUndefined();
    }
    expect(parseApiKeys('').tenantOf(KEY_A)).toBeUndefined();
  });

  it('validates the configuration without echoing keys', () => {
    for (const [text, fragment] of [
      [`Acme:${KEY_A}`, 'entry 1'],
      [`acme:short`, 'entry 1 (tenant acme)'],
      [`acme`, 'entry 1 (tenant acme)'],
      [`acme:${KEY_A},globex:${KEY_A}`, 'entry 2 (tenant globex) repeats the key of entry 1'],
      [`acme:has space in the key`, 'entry 1'],
    ] as const) {
      try {
        parseApiKeys(text);
        throw new Error(`no error for ${text}`);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).variable).toBe('PANECAST_API_KEYS');
        expect((error as Error).message).toContain(fragment);
        expect((error as Error).message).not.toContain(KEY_A);
        expect((error as Error).message).not.toContain('short');
      }
    }
  });
});
