/**
 * provisioning/victoriametrics/scrape.yml: VictoriaMetrics' scrape of the
 * backend's `GET /metrics` (its `-promscrape.config`). VictoriaMetrics parses
 * the file strictly (`-promscrape.config.strictParse`, on by default): an
 * unknown key stops it from starting, so keys outside the subset this demo
 * uses are reported here rather than found in a container log. Before
 * parsing, VictoriaMetrics replaces `%{VAR}` with its environment; the
 * compose check (compose/scrape.ts) sees that each one is set.
 */
import { parse as parseYaml } from 'yaml';
import { IssueList, isRecord } from '../issues';

export interface ScrapeJob {
  readonly name: string;
  /** `host:port` of each static target. */
  readonly targets: readonly string[];
  readonly metricsPath: string;
  readonly scheme: string;
  /** The bearer credentials as written (may hold `%{VAR}`); undefined: none sent. */
  readonly credentials?: string;
}

export interface ScrapeConfig {
  readonly jobs: readonly ScrapeJob[];
  /** Names of the `%{VAR}` placeholders the file uses. */
  readonly placeholders: ReadonlySet<string>;
}

const TOP_KEYS = new Set(['global', 'scrape_configs']);
const GLOBAL_KEYS = new Set(['scrape_interval', 'scrape_timeout', 'external_labels']);
const JOB_KEYS = new Set(['job_name', 'scrape_interval', 'scrape_timeout', 'metrics_path', 'scheme', 'static_configs', 'authorization', 'bearer_token', 'honor_labels']);
const DURATION = /^\d+(ms|s|m|h)$/;

function unknownKeys(value: Record<string, unknown>, known: ReadonlySet<string>, issues: IssueList, at: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      issues.add('scrape', `${at}.${key}`, `not among the keys this check knows (${[...known].join(', ')}); VictoriaMetrics refuses unknown ones at start-up`);
    }
  }
}

function checkDurations(section: Record<string, unknown>, issues: IssueList, at: string): void {
  for (const key of ['scrape_interval', 'scrape_timeout']) {
    if (section[key] !== undefined && !DURATION.test(String(section[key]))) {
      issues.add('scrape', `${at}${at === '' ? '' : '.'}${key}`, `"${String(section[key])}" is not a duration such as 10s`);
    }
  }
}

function readJob(entry: unknown, issues: IssueList, at: string): ScrapeJob | undefined {
  if (!isRecord(entry) || typeof entry.job_name !== 'string' || entry.job_name === '') {
    issues.add('scrape', at, 'must be a scrape config with a job_name');
    return undefined;
  }
  unknownKeys(entry, JOB_KEYS, issues, at);
  checkDurations(entry, issues, at);
  const targets = Array.isArray(entry.static_configs)
    ? entry.static_configs.flatMap((config: unknown) => (isRecord(config) && Array.isArray(config.targets) ? config.targets.map(String) : []))
    : [];
  if (targets.length === 0) {
    issues.add('scrape', `${at}.static_configs`, 'must list the targets to scrape');
  }
  let credentials: string | undefined;
  if (entry.authorization !== undefined) {
    const auth = entry.authorization;
    if (!isRecord(auth) || typeof auth.credentials !== 'string' || (auth.type !== undefined && auth.type !== 'Bearer')) {
      issues.add('scrape', `${at}.authorization`, 'must be { credentials: <read key> } (type Bearer, the default)');
    } else {
      credentials = auth.credentials;
    }
  }
  if (entry.bearer_token !== undefined) {
    if (credentials !== undefined) {
      issues.add('scrape', `${at}.bearer_token`, 'and authorization both set: VictoriaMetrics refuses that');
    }
    credentials = String(entry.bearer_token);
  }
  return {
    name: entry.job_name,
    targets,
    metricsPath: typeof entry.metrics_path === 'string' ? entry.metrics_path : '/metrics',
    scheme: typeof entry.scheme === 'string' ? entry.scheme : 'http',
    ...(credentials === undefined ? {} : { credentials }),
  };
}

export function checkScrapeConfig(text: string, issues: IssueList): ScrapeConfig {
  const placeholders = new Set([...text.replace(/#.*$/gm, '').matchAll(/%\{(\w+)\}/g)].map((match) => match[1] as string));
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    issues.add('parse', '', (error as Error).message);
    return { jobs: [], placeholders };
  }
  if (!isRecord(document) || !Array.isArray(document.scrape_configs)) {
    issues.add('scrape', 'scrape_configs', 'must be a list of scrape configs');
    return { jobs: [], placeholders };
  }
  unknownKeys(document, TOP_KEYS, issues, '');
  if (isRecord(document.global)) {
    unknownKeys(document.global, GLOBAL_KEYS, issues, 'global');
    checkDurations(document.global, issues, 'global');
  }
  const jobs: ScrapeJob[] = [];
  document.scrape_configs.forEach((entry: unknown, index) => {
    const job = readJob(entry, issues, `scrape_configs[${index}]`);
    if (job !== undefined) {
      if (jobs.some((other) => other.name === job.name)) {
        issues.add('unique', `scrape_configs[${index}].job_name`, `job "${job.name}" is defined twice`);
      }
      jobs.push(job);
    }
  });
  return { jobs, placeholders };
}
