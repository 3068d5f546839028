/**
 * Credentials of the live channel and the collector, as pure functions:
 * signed tokens, tenant ownership of metrics, the WebSocket origin
 * allow-list (origin-allow-list.ts, re-exported here), and per-tenant
 * collector API keys. No I/O; the gateway and the HTTP layer call these.
 *
 * Tokens. `base64url(payload) "." base64url(HMAC-SHA256(secret, CONTEXT + base64url(payload)))`
 * with payload `{"tenant","sub","exp","iat"}` (exp and iat in epoch seconds).
 * The MAC covers the encoded payload exactly as sent, so no JSON
 * canonicalization is needed; CONTEXT keeps a MAC made for anything else with
 * the same secret from passing as a token. Several secrets are accepted so a
 * key can be rotated: sign with the first, verify against all, drop the old
 * one once its tokens have expired.
 *
 * Tenants own metrics by this rule (tenantOfMetric):
 *   1. a definition's `tenant` field, when definitions carry one (a later
 *      addition to metric definitions; the field wins over the name);
 *   2. otherwise the namespace in the name: `acme__checkout_ms` belongs to
 *      tenant `acme` (tenant names have no `_`, so the first `__` ends the
 *      tenant unambiguously, and the engine's metric-name rule already allows it);
 *   3. otherwise the metric belongs to DEFAULT_TENANT (the shipped metrics).
 * No metric is visible to every tenant. Unknown metrics belong to no one.
 * Give compileQuery only metricsVisibleTo(tenant, …): its unknown-metric
 * error lists the known names, which must not reveal other tenants' metrics.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_LIMITS } from '@panecast/protocol';
import { ConfigError } from '../config';
import type { ErrorCode } from '../errors';
import { DEFAULT_TENANT, isTenantName, NAMESPACE_SEPARATOR, TENANT_PATTERN, tenantOfMetric, type TenantScoped } from '../window/tenancy';

// The ownership rule is pure string work the engine needs too: it lives in the window core.
export { DEFAULT_TENANT, isTenantName, NAMESPACE_SEPARATOR, TENANT_PATTERN, tenantOfMetric, type TenantScoped };
/** HMAC-SHA256 keys shorter than its output weaken it; shorter secrets never verify a token. */
export const MIN_SECRET_BYTES = 32;

const CONTEXT = 'panecast-live-token.v1.';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A 32-byte MAC is 43 base64url characters without padding. */
const MAC_CHARS = 43;
const SUBJECT = /^[^\x00-\x1f\x7f]{1,128}$/u;
const TOKEN_ID = /^[A-Za-z0-9_-]{1,64}$/;

// ---------------------------------------------------------------------------
// Tokens

export interface TokenClaims {
  readonly tenant: string;
  /** The subject: who holds the token (a user, a dashboard, a datasource's read key). */
  readonly sub: string;
  /**
   * Token id, set by the minting route: connection limits count per token
   * (per jti), so every viewer of one Grafana datasource (one read key, one
   * subject, a token each) has a budget of its own. A token without one
   * (signed elsewhere) counts per subject.
   */
  readonly jti?: string;
  /** Expiry, epoch seconds: the token is refused from this second on. */
  readonly exp: number;
  /** Issued at, epoch seconds. */
  readonly iat: number;
}

export type TokenErrorCode = Extract<
  ErrorCode,
  | 'PANECAST_ERR_TOKEN_MISSING'
  | 'PANECAST_ERR_TOKEN_MALFORMED'
  | 'PANECAST_ERR_TOKEN_SIGNATURE'
  | 'PANECAST_ERR_TOKEN_EXPIRED'
  | 'PANECAST_ERR_TOKEN_NOT_YET_VALID'
>;

export type TokenResult = { ok: true; claims: TokenClaims } | { ok: false; code: TokenErrorCode };

/** A secret as configured (UTF-8 text) or raw bytes. */
export type Secret = string | Uint8Array;

export interface VerifyOptions {
  /** How far the issuer's clock may run ahead of this one, in seconds (iat in the future). Default 60. */
  clockSkewSec?: number;
}

function secretBytes(secret: Secret): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
}

function mac(key: Buffer, encodedPayload: string): Buffer {
  return createHmac('sha256', key).update(CONTEXT).update(encodedPayload).digest();
}

/** Why claims are not valid, or undefined when they are. */
function claimsProblem(claims: Record<string, unknown>): string | undefined {
  if (!isTenantName(claims.tenant)) {
    return `tenant must match ${TENANT_PATTERN}`;
  }
  if (typeof claims.sub !== 'string' || !SUBJECT.test(claims.sub)) {
    return 'sub must be 1 to 128 characters without control characters';
  }
  const { exp, iat } = claims;
  if (
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    !Number.isSafeInteger(exp) ||
    !Number.isSafeInteger(iat) ||
    iat < 0
  ) {
    return 'exp and iat must be whole epoch seconds';
  }
  if (exp <= iat) {
    return 'exp must be after iat';
  }
  if (claims.jti !== undefined && (typeof claims.jti !== 'string' || !TOKEN_ID.test(claims.jti))) {
    return 'jti must be 1 to 64 characters of A-Z a-z 0-9 _ -';
  }
  return undefined;
}

/** Signs claims with one secret. Throws on invalid claims or a short secret: both are the caller's bug. */
export function signToken(claims: TokenClaims, secret: Secret): string {
  const problem = claimsProblem(claims as unknown as Record<string, unknown>);
  if (problem !== undefined) {
    throw new RangeError(`Cannot sign the token: ${problem}`);
  }
  const key = secretBytes(secret);
  if (key.length < MIN_SECRET_BYTES) {
    throw new RangeError(`Cannot sign the token: the secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  const payload = Buffer.from(
    JSON.stringify({ tenant: claims.tenant, sub: claims.sub, exp: claims.exp, iat: claims.iat, ...(claims.jti === undefined ? {} : { jti: claims.jti }) }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * Verifies a token against the current secrets at `nowMs` (epoch
 * milliseconds, e.g. Date.now()). Never throws. The signature is checked
 * before the payload is decoded, in constant time against every secret.
 */
export function verifyToken(
  token: unknown,
  secrets: readonly Secret[],
  nowMs: number,
  options: VerifyOptions = {},
): TokenResult {
  if (token === undefined || token === null || token === '') {
    return { ok: false, code: 'PANECAST_ERR_TOKEN_MISSING' };
  }
  const malformed: TokenResult = { ok: false, code: 'PANECAST_ERR_TOKEN_MALFORMED' };
  if (typeof token !== 'string' || token.length > DEFAULT_LIMITS.maxTokenLength) {
    return malformed;
  }
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) {
    return malformed;
  }
  const payload = token.slice(0, dot);
  const signature = token.slice(dot + 1);
  if (!BASE64URL.test(payload) || signature.length !== MAC_CHARS || !BASE64URL.test(signature)) {
    return malformed;
  }
  const given = Buffer.from(signature, 'base64url');
  // Only the canonical encoding: the last character's two spare bits must be zero.
  if (given.length !== 32 || given.toString('base64url') !== signature) {
    return malformed;
  }
  let matched = false;
  for (const secret of secrets) {
    const key = secretBytes(secret);
    // Every secret is tried, so the time taken does not tell which one matched.
    if (key.length >= MIN_SECRET_BYTES && timingSafeEqual(mac(key, payload), given)) {
      matched = true;
    }
  }
  if (!matched) {
    return { ok: false, code: 'PANECAST_ERR_TOKEN_SIGNATURE' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return malformed;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    return malformed;
  }
  const record = claims as Record<string, unknown>;
  if (claimsProblem(record) !== undefined) {
    return malformed;
  }
  const valid = record as unknown as TokenClaims;
  if (nowMs >= valid.exp * 1000) {
    return { ok: false, code: 'PANECAST_ERR_TOKEN_EXPIRED' };
  }
  if (valid.iat * 1000 > nowMs + (options.clockSkewSec ?? 60) * 1000) {
    return { ok: false, code: 'PANECAST_ERR_TOKEN_NOT_YET_VALID' };
  }
  return {
    ok: true,
    claims: Object.freeze({ tenant: valid.tenant, sub: valid.sub, exp: valid.exp, iat: valid.iat, ...(valid.jti === undefined ? {} : { jti: valid.jti }) }),
  };
}

/** What connection limits count by: the token (its jti), or its subject for a token without one. */
export function connectionKey(claims: TokenClaims): string {
  return claims.jti === undefined ? `sub\u0000${claims.tenant}\u0000${claims.sub}` : `jti\u0000${claims.tenant}\u0000${claims.jti}`;
}

/**
 * What the per-subject connection limit counts by: every token of one subject, whatever its jti. A
 * token minted by POST /v1/live/token has its read key's subject, so this is the key holder's
 * budget, which minting more tokens does not raise. Apart from connectionKey's `sub` keys: a token
 * without a jti counts under both, against each limit.
 */
export function subjectKey(claims: TokenClaims): string {
  return `subject\u0000${claims.tenant}\u0000${claims.sub}`;
}

/**
 * Token secrets from configuration: comma-separated, the first signs. Throws
 * a ConfigError naming the setting (never echoing a secret) when there is
 * none or one is shorter than MIN_SECRET_BYTES.
 */
export function parseSecrets(text: string, setting = 'PANECAST_TOKEN_SECRETS'): readonly Buffer[] {
  const secrets = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (secrets.length === 0) {
    throw new ConfigError(setting, 'needs at least one secret');
  }
  return Object.freeze(
    secrets.map((secret, index) => {
      const bytes = Buffer.from(secret, 'utf8');
      if (bytes.length < MIN_SECRET_BYTES) {
        throw new ConfigError(
          setting,
          `secret ${index + 1} is ${bytes.length} bytes; each must be at least ${MIN_SECRET_BYTES}`,
        );
      }
      return bytes;
    }),
  );
}

// ---------------------------------------------------------------------------
// Tenants and metrics

/**
 * Whether `tenant` may read `metricName`. With definitions, a metric they do
 * not define belongs to no one and a definition's `tenant` field decides;
 * without, the name alone decides.
 */
export function tenantOwnsMetric(tenant: string, metricName: string, definitions?: readonly TenantScoped[]): boolean {
  if (!isTenantName(tenant)) {
    return false;
  }
  if (definitions === undefined) {
    return tenantOfMetric(metricName) === tenant;
  }
  const definition = definitions.find((d) => d.name === metricName);
  return definition !== undefined && tenantOfMetric(definition.name, definition) === tenant;
}

/** The definitions a tenant may query: what to give compileQuery and the metrics list for that tenant. */
export function metricsVisibleTo<T extends TenantScoped>(tenant: string, definitions: readonly T[]): T[] {
  return isTenantName(tenant) ? definitions.filter((d) => tenantOfMetric(d.name, d) === tenant) : [];
}

// ---------------------------------------------------------------------------
// Collector API keys

export interface ApiKeys {
  /** Number of keys configured. */
  readonly size: number;
  /** The tenant a presented key belongs to, or undefined. Constant time in the key's content. */
  tenantOf(key: string | undefined): string | undefined;
}

const KEY_PATTERN = /^[\x21-\x2b\x2d-\x7e]{16,256}$/; // printable ASCII without space and comma

/** Whether a key of one `tenant:key` list (already parsed cleanly by parseApiKeys) is also in the other. */
export function sharesAKey(a: string, b: string): boolean {
  const first = new Set(keyEntries(a).map((entry) => entry.key));
  return keyEntries(b).some((entry) => first.has(entry.key));
}

/** The `tenant:key` entries of a key list, as written (checked by parseApiKeys). */
function keyEntries(text: string): Array<{ tenant: string; key: string }> {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const separator = item.indexOf(':');
      return separator < 0 ? { tenant: item, key: '' } : { tenant: item.slice(0, separator), key: item.slice(separator + 1) };
    });
}

/**
 * Collector API keys from configuration: `tenantA:key1,tenantB:key2`. A
 * tenant may have several keys (rotation); a key may not be shared. Keys are
 * 16 to 256 printable characters without spaces or commas. Only digests are
 * kept. A ConfigError names the setting and the entry, never the key. No keys:
 * every collector request is refused.
 */
export function parseApiKeys(text: string, setting = 'PANECAST_API_KEYS'): ApiKeys {
  const entries: { tenant: string; digest: Buffer }[] = [];
  const seen = new Map<string, number>();
  keyEntries(text).forEach(({ tenant, key }, index) => {
    if (!isTenantName(tenant)) {
      throw new ConfigError(setting, `entry ${index + 1}: "tenant:key" needs a tenant matching ${TENANT_PATTERN}`);
    }
    if (!KEY_PATTERN.test(key)) {
      throw new ConfigError(
        setting,
        `entry ${index + 1} (tenant ${tenant}): the key must be 16 to 256 printable characters without spaces or commas`,
      );
    }
    const digest = createHash('sha256').update(key, 'utf8').digest();
    const earlier = seen.get(digest.toString('hex'));
    if (earlier !== undefined) {
      throw new ConfigError(setting, `entry ${index + 1} (tenant ${tenant}) repeats the key of entry ${earlier + 1}`);
    }
    seen.set(digest.toString('hex'), index);
    entries.push({ tenant, digest });
  });
  return Object.freeze({
    size: entries.length,
    tenantOf(key: string | undefined): string | undefined {
      if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
        return undefined;
      }
      // Compare digests: equal lengths whatever was sent, and every entry is compared.
      const digest = createHash('sha256').update(key, 'utf8').digest();
      let tenant: string | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(entry.digest, digest) && tenant === undefined) {
          tenant = entry.tenant;
        }
      }
      return tenant;
    },
  });
}
