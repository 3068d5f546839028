/**
 * Who is reading. While live auth is on, the read routes (`GET /v1/metrics`,
 * `/v1/query`, `/v1/history`, `/v1/dimensions`) and `POST /v1/live/token`
 * take `authorization: Bearer <key>`, checked against the per-tenant read
 * keys (PANECAST_READ_KEYS, parsed by live/auth.ts parseApiKeys), the way
 * collect/collector-auth.ts checks the collector's write keys. The two sets
 * are apart: a dashboard's key cannot post events, a sender's key cannot read.
 *
 * A reader sees only its tenant's metrics, and a live token minted for it
 * names that tenant. The token's subject (what the gateway's per-subject
 * connection limit counts) is an HMAC of the key, so every token minted with
 * one key counts together while neither the key nor a digest anyone could
 * check a guessed key against ever appears in a token.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { PanecastError } from '../errors';
import { DEFAULT_TENANT, signToken, type ApiKeys, type Secret } from '../live/auth';

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;
const SUBJECT_CONTEXT = 'panecast-read-subject.v1.';

export interface Reader {
  readonly tenant: string;
  /** `key-` and 16 hex digits of HMAC(secret, key): stable per key, names no key. */
  readonly subject: string;
}

export interface ReadAuth {
  /** The reader behind an authorization header; throws PANECAST_ERR_READ_KEY_MISSING or _INVALID (401). */
  authenticate(authorization: string | undefined): Reader;
}

/** `keys`: the configured read keys (none: every read is refused); `secret`: keys the subjects. */
export function createReadAuth(keys: ApiKeys, secret: Secret): ReadAuth {
  return {
    authenticate(authorization) {
      // `Bearer` alone is what a Grafana datasource with no key saved sends: no key, not a wrong one.
      if (authorization === undefined || /^\s*(Bearer\s*)?$/i.test(authorization)) {
        throw new PanecastError('PANECAST_ERR_READ_KEY_MISSING');
      }
      const key = BEARER.exec(authorization)?.[1];
      const tenant = keys.tenantOf(key);
      if (tenant === undefined || key === undefined) {
        throw new PanecastError('PANECAST_ERR_READ_KEY_INVALID');
      }
      const mac = createHmac('sha256', secret).update(SUBJECT_CONTEXT).update(key, 'utf8').digest('hex');
      return { tenant, subject: `key-${mac.slice(0, 16)}` };
    },
  };
}

/** The answer of `POST /v1/live/token`. */
export interface LiveTokenAnswer {
  /** What the live channel's hello carries. */
  token: string;
  /** Epoch ms from which the gateway refuses the token; null: the gateway runs without auth. */
  expiresAt: number | null;
  tenant: string;
}

/**
 * A live token for `reader`, valid `ttlMs` from `nowMs` (whole seconds, as
 * tokens count time), signed with `secret` (the first configured one).
 */
export function mintLiveToken(reader: Reader, secret: Secret, ttlMs: number, nowMs: number): LiveTokenAnswer & { expiresAt: number } {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + Math.max(1, Math.floor(ttlMs / 1000));
  // A token id of its own: connection limits count per token, so viewers sharing a read key do not share a budget.
  const jti = randomBytes(12).toString('base64url');
  return { token: signToken({ tenant: reader.tenant, sub: reader.subject, iat, exp, jti }, secret), expiresAt: exp * 1000, tenant: reader.tenant };
}

/** What `POST /v1/live/token` answers while live auth is off: the gateway takes any token then. */
export const OPEN_LIVE_TOKEN: LiveTokenAnswer = Object.freeze({ token: 'anonymous', expiresAt: null, tenant: DEFAULT_TENANT });
