/**
 * A dashboard target of the VictoriaMetrics (Prometheus-type) datasource. Its
 * MetricsQL must name history series the backend writes (README "History"):
 *   panecast_<m>_count                 every metric
 *   panecast_<m>_sum / _min / _max     metrics with a measure
 *   panecast_<m>_bucket                metrics with quantiles (label vmrange)
 *   panecast_<m>_distinct              metrics with distinctOf (window 1s or 1m; scope total or tuple)
 * with labels = the metric's dimensions + `window` (+ `vmrange` on buckets).
 * A target reading the backend's scraped health instead goes to exposed-target.ts.
 * Not a MetricsQL parser: it checks the series, labels and brackets it finds.
 */
import { IssueList } from '../issues';
import type { MetricCatalogue, MetricInfo } from '../metrics';
import { checkExposedTarget, readsExposedSeries, type ExposedContext } from './exposed-target';
import { checkReferences, type Variables } from './templating';

const SERIES = /\bpanecast_([a-z][a-z0-9_]*?)_(count|sum|min|max|bucket|distinct)\b(\{[^}]*\})?/g;
const ANY_SERIES = /\bpanecast_[a-z0-9_]+/g;
const MATCHER = /\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;
const GROUPING = /\b(?:by|without)\s*\(([^)]*)\)/g;

function allowedSuffix(metric: MetricInfo, suffix: string): boolean {
  switch (suffix) {
    case 'count':
      return true;
    case 'sum':
    case 'min':
    case 'max':
      return metric.measure;
    case 'bucket':
      return metric.quantiles;
    default:
      return metric.distinct;
  }
}

function checkBrackets(expr: string, issues: IssueList, at: string): void {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let quoted = false;
  for (let i = 0; i < expr.length; i++) {
    const char = expr[i] as string;
    if (char === '"' && expr[i - 1] !== '\\') {
      quoted = !quoted;
    } else if (!quoted && '([{'.includes(char)) {
      stack.push(char);
    } else if (!quoted && char in pairs && stack.pop() !== pairs[char]) {
      issues.add('metricsql', at, `unbalanced "${char}" at offset ${i}`);
      return;
    }
  }
  if (quoted || stack.length > 0) {
    issues.add('metricsql', at, 'unclosed bracket or quote');
  }
}

function checkSelector(selector: string, metric: MetricInfo, suffix: string, issues: IssueList, at: string): void {
  const body = selector.slice(1, -1).trim();
  MATCHER.lastIndex = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while (consumed < body.length && (match = MATCHER.exec(body)) !== null) {
    consumed = MATCHER.lastIndex;
    const [, label, op, value] = match as unknown as [string, string, string, string];
    if (label === 'window') {
      const windows = suffix === 'distinct' ? ['1s', '1m'] : ['1s'];
      if (op !== '=' || !windows.includes(value)) {
        issues.add('metricsql', at, `panecast_${metric.name}_${suffix} is stored with window=${windows.map((w) => `"${w}"`).join(' or ')}, not ${op}"${value}"`);
      }
    } else if (label === 'scope' && suffix === 'distinct') {
      if (op !== '=' || (value !== 'total' && value !== 'tuple')) {
        issues.add('metricsql', at, `panecast_${metric.name}_distinct is stored with scope="total" or scope="tuple", not ${op}"${value}"`);
      }
    } else if (label === 'vmrange' ? suffix !== 'bucket' : !metric.dimensions.includes(label)) {
      issues.add('metricsql', at, `label "${label}" is not on panecast_${metric.name}_${suffix} (window, ${metric.dimensions.join(', ')})`);
    }
  }
  if (consumed < body.length) {
    issues.add('metricsql', at, `cannot read the label matchers in ${selector}`);
  }
}

export function checkMetricsqlTarget(
  target: Record<string, unknown>,
  metrics: MetricCatalogue,
  variables: Variables,
  issues: IssueList,
  at: string,
  exposed: ExposedContext,
): void {
  const expr = target.expr;
  if (typeof expr !== 'string' || expr.trim() === '') {
    issues.add('required', `${at}.expr`, 'must be a non-empty MetricsQL expression');
    return;
  }
  const eat = `${at}.expr`;
  checkReferences(expr, variables, issues, eat);
  checkBrackets(expr, issues, eat);
  // The backend's own health, scraped from GET /metrics, rather than the history it writes.
  if (readsExposedSeries(expr)) {
    checkExposedTarget(expr, exposed, issues, eat);
    return;
  }
  const labels = new Set(['vmrange']);
  let found = 0;
  for (const match of expr.matchAll(SERIES)) {
    found++;
    const [series, name, suffix, selector] = match as unknown as [string, string, string, string | undefined];
    const metric = metrics.get(name);
    if (metric === undefined) {
      issues.add('metric', eat, `${series}: "${name}" is not a shipped metric`);
      continue;
    }
    if (!allowedSuffix(metric, suffix)) {
      issues.add('aggregate', eat, `${series}: ${name} has no _${suffix} series (no ${suffix === 'bucket' ? 'quantiles' : suffix === 'distinct' ? 'distinctOf' : 'measure'})`);
    }
    metric.dimensions.forEach((dimension) => labels.add(dimension));
    if (selector === undefined) {
      issues.add('metricsql', eat, `${series} needs a {window="…"} selector: each pane is stored per window`);
    } else {
      if (!/\bwindow\s*=/.test(selector)) {
        issues.add('metricsql', eat, `${series} needs a window="…" matcher`);
      }
      checkSelector(selector, metric, suffix, issues, eat);
    }
  }
  const named = expr.match(ANY_SERIES) ?? [];
  if (found === 0 || named.length !== found) {
    issues.add('metric', eat, `names ${named.length === 0 ? 'no' : 'an unknown'} panecast_<metric>_<count|sum|min|max|bucket|distinct> series`);
  }
  for (const match of expr.matchAll(GROUPING)) {
    for (const label of (match[1] as string).split(',').map((l) => l.trim()).filter((l) => l !== '')) {
      if (!labels.has(label)) {
        issues.add('metricsql', eat, `groups by "${label}", which is not a label of the series it reads`);
      }
    }
  }
}
