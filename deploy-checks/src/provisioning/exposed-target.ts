/**
 * A VictoriaMetrics target reading the backend's own health, scraped from
 * its `GET /metrics` (provisioning/victoriametrics/scrape.yml): Panecast's
 * `panecast_*` figures and Node's `process_*` and `nodejs_*` series. Every
 * series it names must be one `/metrics` exposes (the backend's own
 * catalogue, backend/src/observe/catalogue.ts), every label it matches or
 * groups by one those series carry or the scrape adds (`job`, `instance`),
 * and a `job` it selects a job of the scrape config.
 * Not a MetricsQL parser: it checks the series, labels and brackets it finds.
 */
import type { ExposedSeries } from '../../../backend/src/observe/catalogue';
import { IssueList } from '../issues';

export type ExposedCatalogue = ReadonlyMap<string, ExposedSeries>;

const NAME = /\b((?:panecast|process|nodejs)_[a-z0-9_]+)\b(\{[^}]*\})?/g;
/** A history series of a metric (metricsql-target.ts reads those). */
const HISTORY = /^panecast_[a-z][a-z0-9_]*?_(count|sum|min|max|bucket|distinct)$/;
const MATCHER = /\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;
const GROUPING = /\b(?:by|without)\s*\(([^)]*)\)/g;
/** Labels every scraped series gets from the scrape itself. */
const SCRAPE_LABELS = ['job', 'instance'];

/** Whether `expr` reads scraped series rather than (only) history series. */
export function readsExposedSeries(expr: string): boolean {
  return [...expr.matchAll(NAME)].some((match) => !HISTORY.test(match[1] as string));
}

export interface ExposedContext {
  readonly exposed: ExposedCatalogue;
  /** Job names of the scrape config. */
  readonly jobs: ReadonlySet<string>;
}

function checkSelector(selector: string, series: ExposedSeries, jobs: ReadonlySet<string>, issues: IssueList, at: string): void {
  const body = selector.slice(1, -1).trim();
  MATCHER.lastIndex = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while (consumed < body.length && (match = MATCHER.exec(body)) !== null) {
    consumed = MATCHER.lastIndex;
    const [, label, op, value] = match as unknown as [string, string, string, string];
    if (!series.labels.includes(label) && !SCRAPE_LABELS.includes(label)) {
      issues.add('metricsql', at, `label "${label}" is not on ${series.name} (${[...series.labels, ...SCRAPE_LABELS].join(', ')})`);
    } else if (label === 'job' && op === '=' && !jobs.has(value)) {
      issues.add('scrape', at, `job "${value}" is not a job of the scrape config (${[...jobs].join(', ') || 'none'}): the panel would stay empty`);
    }
  }
  if (consumed < body.length) {
    issues.add('metricsql', at, `cannot read the label matchers in ${selector}`);
  }
}

/** Called by metricsql-target.ts once it checked the expression's variable references and brackets. */
export function checkExposedTarget(expr: string, context: ExposedContext, issues: IssueList, at: string): void {
  const labels = new Set(SCRAPE_LABELS);
  for (const match of expr.matchAll(NAME)) {
    const [, name, selector] = match as unknown as [string, string, string | undefined];
    const series = context.exposed.get(name);
    if (series === undefined) {
      issues.add('metric', at, `${name} is not a series GET /metrics exposes${HISTORY.test(name) ? ' (history series and scraped series do not mix in one query)' : ''}`);
      continue;
    }
    series.labels.forEach((label) => labels.add(label));
    if (selector !== undefined) {
      checkSelector(selector, series, context.jobs, issues, at);
    }
  }
  for (const match of expr.matchAll(GROUPING)) {
    for (const label of (match[1] as string).split(',').map((l) => l.trim()).filter((l) => l !== '')) {
      if (!labels.has(label)) {
        issues.add('metricsql', at, `groups by "${label}", which is not a label of the series it reads`);
      }
    }
  }
}
