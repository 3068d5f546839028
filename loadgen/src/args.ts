/** Command line → validated options; a bad flag stops with a message naming it. */
import { parseArgs } from 'node:util';
import { DOMAINS, type Domain } from './domains';

export interface LoadgenOptions {
  target: 'http' | 'kafka';
  /** Events per second over all domains. */
  rate: number;
  /** Seconds; 0 = until interrupted. */
  durationSec: number;
  domains: Domain[];
  users: number;
  campaigns: number;
  services: number;
  /** Fraction of events up to outOfOrderMs behind the newest (inside the out-of-orderness: reordered, not late). */
  outOfOrder: number;
  outOfOrderMs: number;
  /** Fraction of events 3 s to lateMs behind (past the watermark: corrections, or the late topic beyond the allowed lateness). */
  late: number;
  lateMs: number;
  url: string;
  apiKey: string | undefined;
  /** Events per request (http) or per append (kafka). */
  batch: number;
  /** Parallel SDK clients (http). */
  clients: number;
  /** Kafka brokers and topic (kafka); undefined: the backend's configuration (PANECAST_KAFKA_*). */
  brokers: string | undefined;
  topic: string | undefined;
  seed: number;
  json: boolean;
}

export class ArgsError extends Error {
  constructor(flag: string, rule: string) {
    super(`--${flag}: ${rule}`);
    this.name = 'ArgsError';
  }
}

export const USAGE = `usage: npm run loadgen -- [options]

  --target http|kafka     through the SDK over HTTP (default) or straight to Kafka with the backend's encoding
  --rate N                events per second over all domains (default 1000)
  --duration D            seconds, or 30s / 5m / 1h; 0 = until Ctrl-C (default 60)
  --domains LIST          games,ads,servers (default all three)
  --users N               distinct players, ad viewers and API clients (default 10000)
  --campaigns N           distinct ad campaigns (default 200)
  --services N            distinct services (default 20)
  --out-of-order F        fraction of events up to --out-of-order-ms behind (default 0.05)
  --out-of-order-ms MS    (default 1500, inside the backend's default 2 s out-of-orderness)
  --late F                fraction of events 3 s to --late-ms behind (default 0.005)
  --late-ms MS            (default 30000, inside the default 60 s allowed lateness)
  --url URL               collector base URL (http; default $PANECAST_URL or http://127.0.0.1:8080)
  --api-key KEY           collector API key (http; default $PANECAST_API_KEY)
  --batch N               events per request or append (default 500)
  --clients N             parallel SDK clients (http; default 2)
  --brokers LIST          Kafka brokers (kafka; default $PANECAST_KAFKA_BROKERS or 127.0.0.1:19092)
  --topic NAME            Kafka topic (kafka; default $PANECAST_KAFKA_TOPIC or panecast.events)
  --seed N                randomness seed, for repeatable traffic (default: the clock)
  --json                  print the summary as one JSON line
`;

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number, integer = true): number {
  if (text === undefined) {
    return fallback;
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ArgsError(flag, `"${text}" is not ${integer ? 'an integer' : 'a number'}`);
  }
  if (value < min || value > max) {
    throw new ArgsError(flag, `${value} is outside ${min}..${max}`);
  }
  return value;
}

function duration(text: string | undefined): number {
  if (text === undefined) {
    return 60;
  }
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new ArgsError('duration', `"${text}" is not seconds or a duration like 30s, 5m, 1h`);
  }
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}

export function parseLoadgenArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): LoadgenOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        target: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        domains: { type: 'string' },
        users: { type: 'string' },
        campaigns: { type: 'string' },
        services: { type: 'string' },
        'out-of-order': { type: 'string' },
        'out-of-order-ms': { type: 'string' },
        late: { type: 'string' },
        'late-ms': { type: 'string' },
        url: { type: 'string' },
        'api-key': { type: 'string' },
        batch: { type: 'string' },
        clients: { type: 'string' },
        brokers: { type: 'string' },
        topic: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ArgsError('help', (error as Error).message);
  }
  const v = parsed.values;
  if (v.help === true) {
    return 'help';
  }
  const target = v.target ?? 'http';
  if (target !== 'http' && target !== 'kafka') {
    throw new ArgsError('target', `"${target}" is not http or kafka`);
  }
  const domains = (v.domains ?? DOMAINS.join(','))
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const domain of domains) {
    if (!(DOMAINS as readonly string[]).includes(domain)) {
      throw new ArgsError('domains', `"${domain}" is not one of ${DOMAINS.join(', ')}`);
    }
  }
  if (domains.length === 0) {
    throw new ArgsError('domains', 'needs at least one domain');
  }
  const outOfOrder = number('out-of-order', v['out-of-order'], 0.05, 0, 1, false);
  const late = number('late', v.late, 0.005, 0, 1, false);
  if (outOfOrder + late > 1) {
    throw new ArgsError('late', `--out-of-order and --late add up to ${outOfOrder + late}, more than 1`);
  }
  const url = v.url ?? env.PANECAST_URL ?? 'http://127.0.0.1:8080';
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new ArgsError('url', `"${url}" is not an http(s) URL`);
  }
  return {
    target,
    rate: number('rate', v.rate, 1000, 0.1, 10_000_000, false),
    durationSec: duration(v.duration),
    domains: [...new Set(domains)] as Domain[],
    users: number('users', v.users, 10_000, 1, 1e9),
    campaigns: number('campaigns', v.campaigns, 200, 1, 1e9),
    services: number('services', v.services, 20, 1, 1e9),
    outOfOrder,
    outOfOrderMs: number('out-of-order-ms', v['out-of-order-ms'], 1500, 1, 3_600_000),
    late,
    lateMs: number('late-ms', v['late-ms'], 30_000, 3001, 86_400_000),
    url,
    apiKey: v['api-key'] ?? env.PANECAST_API_KEY,
    batch: number('batch', v.batch, 500, 1, 100_000),
    clients: number('clients', v.clients, 2, 1, 64),
    brokers: v.brokers,
    topic: v.topic,
    seed: number('seed', v.seed, Date.now() % 2 ** 31, 0, 2 ** 32 - 1),
    json: v.json === true,
  };
}
