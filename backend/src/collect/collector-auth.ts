/**
 * Who is posting events: the `authorization: Bearer <key>` header checked
 * against the configured per-tenant API keys (live/auth.ts parseApiKeys).
 * Without configured keys the collector is open and every event belongs to
 * the default tenant (the embedded demo, `npm start`). With keys, a request
 * without a valid one is refused before its body is read.
 */
import { PanecastError } from '../errors';
import type { ApiKeys } from '../live/auth';
import { DEFAULT_TENANT } from '../window/tenancy';

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;

/** The tenant of the request; throws PANECAST_ERR_API_KEY_MISSING or _INVALID (401). */
export function tenantOfRequest(keys: ApiKeys | undefined, authorization: string | undefined): string {
  if (keys === undefined) {
    return DEFAULT_TENANT;
  }
  if (authorization === undefined || authorization.trim() === '') {
    throw new PanecastError('PANECAST_ERR_API_KEY_MISSING');
  }
  const tenant = keys.tenantOf(BEARER.exec(authorization)?.[1]);
  if (tenant === undefined) {
    throw new PanecastError('PANECAST_ERR_API_KEY_INVALID');
  }
  return tenant;
}
