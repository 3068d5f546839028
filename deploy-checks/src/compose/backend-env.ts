/**
 * The environment variables the backend reads. Configuration is parsed in
 * one place (backend/src/config.ts, by the project's rule), so the names are
 * the PANECAST_* names that file looks up; whether a set of values is
 * valid is asked of its own loadConfig.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../backend/src/config';
import { parseApiKeys, parseSecrets } from '../../../backend/src/live/auth';
import { parseOriginAllowList } from '../../../backend/src/live/origin-allow-list';

export const CONFIG_SOURCE = 'backend/src/config.ts';

/** Every PANECAST_* name the config module reads: as a string literal (`text(env, 'PANECAST_X', …)`) or a property (`env.PANECAST_X`). */
export function backendVariables(root: string): ReadonlySet<string> {
  const source = readFileSync(join(root, CONFIG_SOURCE), 'utf8');
  return new Set([...source.matchAll(/['"`](PANECAST_[A-Z0-9_]+)['"`]|\.(PANECAST_[A-Z0-9_]+)\b/g)].map((match) => (match[1] ?? match[2]) as string));
}

/**
 * The backend's own verdict on an environment: undefined when valid, else its
 * message naming the variable. Besides loadConfig, the settings it keeps as
 * text (origins, secrets, read and collector keys) are parsed the way the
 * app parses them at start-up.
 */
export function configProblem(env: Readonly<Record<string, string>>): string | undefined {
  try {
    const config = loadConfig({ ...env });
    parseOriginAllowList(config.live.allowedOrigins);
    if (config.live.auth) {
      parseSecrets(config.live.tokenSecrets);
      parseApiKeys(config.live.readKeys ?? '', 'PANECAST_READ_KEYS');
    }
    if (config.collector.apiKeys !== undefined) {
      parseApiKeys(config.collector.apiKeys);
    }
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.message;
    }
    throw error;
  }
}
