/**
 * The WebSocket origin allow-list, as pure functions: which browser pages may
 * open the live channel. Part of the credentials auth.ts describes (and
 * re-exports); the gateway and the configuration call these.
 */
import { ConfigError } from '../config';

interface OriginEntry {
  /** `*`: any origin. */
  any: boolean;
  protocol: string;
  /** Exact host, or for a wildcard the parent domain without the leading `*.`. */
  hostname: string;
  port: string;
  wildcard: boolean;
}

/** A browser's Origin header value, normalized; undefined when it is not a plain http(s) origin. */
function parseOrigin(origin: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.toLowerCase()) {
    // Paths, credentials, a trailing slash or default ports spelled out: not what a browser sends.
    return undefined;
  }
  return url;
}

function parseEntry(entry: string): OriginEntry | undefined {
  if (entry === '*') {
    return { any: true, protocol: '', hostname: '', port: '', wildcard: false };
  }
  const wildcard = /^(https?):\/\/\*\.(.+)$/i.exec(entry);
  const text = wildcard === null ? entry : `${wildcard[1]}://${wildcard[2]}`;
  const url = parseOrigin(text);
  if (url === undefined || url.hostname.includes('*')) {
    return undefined;
  }
  if (wildcard !== null && !url.hostname.includes('.') && url.hostname !== 'localhost') {
    // `https://*.com` would admit every site under a top-level domain.
    return undefined;
  }
  return { any: false, protocol: url.protocol, hostname: url.hostname, port: url.port, wildcard: wildcard !== null };
}

function matches(entry: OriginEntry, url: URL): boolean {
  if (entry.any) {
    return true;
  }
  if (entry.protocol !== url.protocol || entry.port !== url.port) {
    return false;
  }
  return entry.wildcard ? url.hostname.endsWith(`.${entry.hostname}`) : url.hostname === entry.hostname;
}

/**
 * Whether a WebSocket upgrade from `origin` may proceed. Entries are exact
 * origins (`https://grafana.example.com`, `http://localhost:3000`), wildcard
 * subdomains (`https://*.example.com`: any depth of subdomain, not the parent
 * itself, same scheme and port) or `*` (any origin; development only).
 *
 * A request without an Origin header is allowed: it does not come from a
 * browser page, which is what this check defends (cross-site WebSocket
 * hijacking), and it still needs a token. `null` origins (sandboxed frames,
 * files) are refused. An empty list refuses every browser origin.
 */
export function originAllowed(origin: string | undefined, allowList: readonly string[]): boolean {
  if (origin === undefined) {
    return true;
  }
  const url = parseOrigin(origin);
  if (url === undefined) {
    return false;
  }
  for (const text of allowList) {
    const entry = parseEntry(text);
    if (entry !== undefined && matches(entry, url)) {
      return true;
    }
  }
  return false;
}

/** The origin allow-list from configuration (comma-separated); a ConfigError names the bad entry. */
export function parseOriginAllowList(text: string, setting = 'PANECAST_ALLOWED_ORIGINS'): readonly string[] {
  const entries = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const entry of entries) {
    if (parseEntry(entry) === undefined) {
      throw new ConfigError(
        setting,
        `"${entry}" is not an origin: use scheme://host[:port], scheme://*.domain[:port] or *`,
      );
    }
  }
  return Object.freeze(entries);
}
