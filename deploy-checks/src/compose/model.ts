/**
 * docker-compose.yml read into a small normalised model: compose allows
 * several spellings (list or map environment, short or long volume syntax,
 * list or map depends_on); the checks want one. Values are interpolated the
 * way compose does (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$`) with
 * an empty environment, i.e. the defaults a fresh `docker compose up` uses.
 */
import { isRecord } from '../issues';

export interface Mount {
  /** `bind` for a host path, `volume` for a named volume. */
  readonly type: 'bind' | 'volume';
  readonly source: string;
  readonly target: string;
  /** e.g. `services.grafana.volumes[0]`. */
  readonly at: string;
}

export interface ComposeService {
  readonly name: string;
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string; readonly target?: string };
  readonly environment: Readonly<Record<string, string>>;
  readonly mounts: readonly Mount[];
  /** Published port specs as written, e.g. `127.0.0.1:3000:3000`. */
  readonly ports: readonly string[];
  /** Dependency → condition (`service_started` when the list form is used). */
  readonly dependsOn: ReadonlyMap<string, string>;
  /** The compose health check, unless absent or disabled. */
  readonly healthcheck?: readonly string[] | string;
  readonly command?: readonly string[] | string;
}

export interface ComposeModel {
  readonly services: ReadonlyMap<string, ComposeService>;
  /** Named volumes declared at the top level. */
  readonly volumes: ReadonlySet<string>;
}

/** Compose's interpolation with an empty environment (defaults apply; `${VAR}` alone becomes ''). */
export function interpolate(value: string, env: Readonly<Record<string, string>> = {}): string {
  return value.replace(/\$\$|\$\{(\w+)(?:(:?[-?+])([^}]*))?\}|\$(\w+)/g, (whole, braced?: string, op?: string, word?: string, bare?: string) => {
    if (whole === '$$') {
      return '$';
    }
    const name = (braced ?? bare) as string;
    const set = env[name];
    const present = op?.startsWith(':') ? set !== undefined && set !== '' : set !== undefined;
    if (op === undefined) {
      return set ?? '';
    }
    if (op.endsWith('-')) {
      return present ? (set as string) : (word ?? '');
    }
    if (op.endsWith('+')) {
      return present ? (word ?? '') : '';
    }
    return present ? (set as string) : '';
  });
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? interpolate(value) : value === null || value === undefined ? '' : String(value);
}

function environmentOf(value: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const [key, ...rest] = String(item).split('=');
      env[key as string] = interpolate(rest.join('='));
    }
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      env[key] = scalar(item);
    }
  }
  return env;
}

const HOST_PATH = /^(\.{1,2}(\/|$)|\/|~)/;

function mountsOf(name: string, value: unknown): Mount[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.flatMap((item: unknown, index): Mount[] => {
    const at = `services.${name}.volumes[${index}]`;
    if (typeof item === 'string') {
      const [source, target] = interpolate(item).split(':');
      if (target === undefined) {
        return []; // an anonymous volume: nothing on the host
      }
      return [{ type: HOST_PATH.test(source as string) ? 'bind' : 'volume', source: source as string, target, at }];
    }
    if (isRecord(item) && typeof item.source === 'string' && typeof item.target === 'string') {
      return [{ type: item.type === 'bind' ? 'bind' : 'volume', source: interpolate(item.source), target: item.target, at }];
    }
    return [];
  });
}

function commandOf(value: unknown): readonly string[] | string | undefined {
  if (typeof value === 'string') {
    return interpolate(value);
  }
  return Array.isArray(value) ? value.map(scalar) : undefined;
}

export function readCompose(document: unknown): ComposeModel {
  const services = new Map<string, ComposeService>();
  const raw = isRecord(document) && isRecord(document.services) ? document.services : {};
  for (const [name, entry] of Object.entries(raw)) {
    if (!isRecord(entry)) {
      continue;
    }
    const build = typeof entry.build === 'string' ? { context: interpolate(entry.build), dockerfile: 'Dockerfile' } : isRecord(entry.build)
      ? {
          context: scalar(entry.build.context ?? '.'),
          dockerfile: scalar(entry.build.dockerfile ?? 'Dockerfile'),
          ...(entry.build.target === undefined ? {} : { target: scalar(entry.build.target) }),
        }
      : undefined;
    const dependsOn = new Map<string, string>();
    if (Array.isArray(entry.depends_on)) {
      entry.depends_on.forEach((dependency) => dependsOn.set(String(dependency), 'service_started'));
    } else if (isRecord(entry.depends_on)) {
      for (const [dependency, spec] of Object.entries(entry.depends_on)) {
        dependsOn.set(dependency, isRecord(spec) ? String(spec.condition) : 'service_started');
      }
    }
    const health = isRecord(entry.healthcheck) && entry.healthcheck.disable !== true ? commandOf(entry.healthcheck.test) : undefined;
    const command = commandOf(entry.command);
    services.set(name, {
      name,
      ...(typeof entry.image === 'string' ? { image: interpolate(entry.image) } : {}),
      ...(build === undefined ? {} : { build }),
      environment: environmentOf(entry.environment),
      mounts: mountsOf(name, entry.volumes),
      ports: Array.isArray(entry.ports) ? entry.ports.map((port) => scalar(isRecord(port) ? port.published : port)) : [],
      dependsOn,
      ...(health === undefined || (Array.isArray(health) && health[0] === 'NONE') ? {} : { healthcheck: health }),
      ...(command === undefined ? {} : { command }),
    });
  }
  const volumes = new Set(isRecord(document) && isRecord(document.volumes) ? Object.keys(document.volumes) : []);
  return { services, volumes };
}
