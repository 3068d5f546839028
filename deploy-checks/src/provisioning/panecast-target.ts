/**
 * A dashboard target of the Panecast datasource, checked against the query
 * model of CONTRACTS.md / plugin-datasource/src/types.ts (PanecastQuery) and
 * against the shipped metric definitions: the metric exists, serves the
 * aggregate, declares the dimensions, and the window can be composed from panes.
 */
import { IssueList, isRecord } from '../issues';
import { servesAggregate, type MetricCatalogue, type MetricInfo } from '../metrics';
import { datasourceProblems, pluginCatalogue } from './datasource-rules';
import { checkReferences, isVariable, possibleValues, type Variables } from './templating';

/** DataQuery's fields plus PanecastQuery's: anything else is a typo the datasource would ignore. */
const KNOWN_FIELDS = new Set([
  'refId', 'datasource', 'hide', 'key', 'queryType',
  'metric', 'aggregate', 'window', 'groupBy', 'filters', 'live', 'legendFormat',
]);
const WINDOW_FIELDS = new Set(['type', 'size', 'slide']);
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Names `legendFormat` may use besides the grouped dimensions. */
const LEGEND_BUILTINS = new Set(['metric', 'aggregate']);

export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) {
    return undefined;
  }
  const value = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return value > 0 ? value : undefined;
}

export interface TargetContext {
  readonly metrics: MetricCatalogue;
  readonly variables: Variables;
  /** The engine's pane: every window size and slide is a multiple of it. */
  readonly paneMs: number;
}

function stringField(target: Record<string, unknown>, field: string, issues: IssueList, at: string): string | undefined {
  const value = target[field];
  if (typeof value !== 'string' || value.trim() === '') {
    issues.add('required', `${at}.${field}`, 'must be a non-empty string');
    return undefined;
  }
  return value;
}

function checkDurations(
  field: string,
  value: unknown,
  context: TargetContext,
  issues: IssueList,
  at: string,
): readonly number[] | undefined {
  if (typeof value !== 'string') {
    issues.add('window', at, `${field} must be a duration such as 1s, 10s, 1m or a $variable`);
    return undefined;
  }
  checkReferences(value, context.variables, issues, at);
  const values = possibleValues(value, context.variables);
  if (values === undefined) {
    return undefined;
  }
  const durations: number[] = [];
  for (const text of values) {
    const ms = durationMs(text);
    if (ms === undefined) {
      issues.add('window', at, `${field} "${text}" is not a duration such as 1s, 10s, 1m`);
    } else if (ms % context.paneMs !== 0) {
      issues.add('window', at, `${field} ${text} is not a multiple of the ${context.paneMs} ms pane`);
    } else {
      durations.push(ms);
    }
  }
  return durations;
}

function checkWindow(value: unknown, context: TargetContext, issues: IssueList, at: string): void {
  if (!isRecord(value)) {
    issues.add('required', at, 'must be { type, size, slide? }');
    return;
  }
  for (const key of Object.keys(value)) {
    if (!WINDOW_FIELDS.has(key)) {
      issues.add('query-field', `${at}.${key}`, 'is not a window field (type, size, slide)');
    }
  }
  if (value.type !== 'tumbling' && value.type !== 'sliding') {
    issues.add('window', `${at}.type`, 'must be "tumbling" or "sliding"');
    return;
  }
  const sizes = checkDurations('size', value.size, context, issues, `${at}.size`);
  if (value.type === 'tumbling') {
    if (value.slide !== undefined) {
      issues.add('window', `${at}.slide`, 'a tumbling window has no slide');
    }
    return;
  }
  if (value.slide === undefined) {
    issues.add('window', `${at}.slide`, 'a sliding window needs a slide');
    return;
  }
  const slides = checkDurations('slide', value.slide, context, issues, `${at}.slide`);
  for (const size of sizes ?? []) {
    for (const slide of slides ?? []) {
      if (slide > size || size % slide !== 0) {
        issues.add('window', at, `slide ${slide} ms must divide size ${size} ms`);
      }
    }
  }
}

function checkDimension(name: unknown, metric: MetricInfo | undefined, context: TargetContext, issues: IssueList, at: string): void {
  if (typeof name !== 'string' || name === '') {
    issues.add('dimension', at, 'must be a dimension name');
    return;
  }
  checkReferences(name, context.variables, issues, at);
  if (metric !== undefined && !isVariable(name) && !metric.dimensions.includes(name)) {
    issues.add('dimension', at, `"${name}" is not a dimension of ${metric.name} (${metric.dimensions.join(', ') || 'none'})`);
  }
}

export function checkPanecastTarget(target: Record<string, unknown>, context: TargetContext, issues: IssueList, at: string): void {
  for (const key of Object.keys(target)) {
    if (!KNOWN_FIELDS.has(key)) {
      issues.add('query-field', `${at}.${key}`, `is not a field of the Panecast query (${[...KNOWN_FIELDS].join(', ')})`);
    }
  }
  const metricName = stringField(target, 'metric', issues, at);
  let metric: MetricInfo | undefined;
  if (metricName !== undefined) {
    checkReferences(metricName, context.variables, issues, `${at}.metric`);
    if (!isVariable(metricName)) {
      metric = context.metrics.get(metricName);
      if (metric === undefined) {
        issues.add('metric', `${at}.metric`, `"${metricName}" is not a shipped metric (${[...context.metrics.keys()].join(', ')})`);
      }
    }
  }
  const aggregate = stringField(target, 'aggregate', issues, at);
  if (aggregate !== undefined) {
    checkReferences(aggregate, context.variables, issues, `${at}.aggregate`);
    if (metric !== undefined && !isVariable(aggregate) && !servesAggregate(metric, aggregate)) {
      issues.add('aggregate', `${at}.aggregate`, `${metric.name} does not serve "${aggregate}" (it serves ${[...metric.aggregates].join(', ')})`);
    }
  }
  checkWindow(target.window, context, issues, `${at}.window`);
  const groupBy = target.groupBy;
  const grouped: string[] = [];
  if (groupBy !== undefined) {
    if (!Array.isArray(groupBy)) {
      issues.add('dimension', `${at}.groupBy`, 'must be a list of dimension names');
    } else {
      groupBy.forEach((name: unknown, index) => {
        checkDimension(name, metric, context, issues, `${at}.groupBy[${index}]`);
        if (typeof name === 'string') {
          if (grouped.includes(name)) {
            issues.add('dimension', `${at}.groupBy[${index}]`, `"${name}" is listed twice`);
          }
          grouped.push(name);
        }
      });
    }
  }
  const filters = target.filters;
  if (filters !== undefined) {
    if (!Array.isArray(filters)) {
      issues.add('dimension', `${at}.filters`, 'must be a list of { dimension, values }');
    } else {
      filters.forEach((filter: unknown, index) => {
        const fat = `${at}.filters[${index}]`;
        if (!isRecord(filter)) {
          issues.add('dimension', fat, 'must be { dimension, values }');
          return;
        }
        checkDimension(filter.dimension, metric, context, issues, `${fat}.dimension`);
        const values = filter.values;
        if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
          issues.add('dimension', `${fat}.values`, 'must be a non-empty list of values (or $variables)');
          return;
        }
        values.forEach((value: string, vi) => checkReferences(value, context.variables, issues, `${fat}.values[${vi}]`));
      });
    }
  }
  if (target.live !== undefined && typeof target.live !== 'boolean') {
    issues.add('query-field', `${at}.live`, 'must be true or false');
  }
  if (target.hide !== undefined && typeof target.hide !== 'boolean') {
    issues.add('query-field', `${at}.hide`, 'must be true or false');
  }
  for (const problem of datasourceProblems(target, pluginCatalogue(context.metrics, context.paneMs), context.variables)) {
    issues.add('query-rules', at, `the datasource plugin refuses it: ${problem}`);
  }
  if (target.legendFormat !== undefined) {
    if (typeof target.legendFormat !== 'string') {
      issues.add('query-field', `${at}.legendFormat`, 'must be a string');
    } else {
      for (const match of target.legendFormat.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
        const name = match[1] as string;
        if (!grouped.includes(name) && !LEGEND_BUILTINS.has(name)) {
          issues.add('dimension', `${at}.legendFormat`, `{{${name}}} is neither a grouped dimension (${grouped.join(', ') || 'none'}) nor metric/aggregate`);
        }
      }
      checkReferences(target.legendFormat, context.variables, issues, `${at}.legendFormat`);
    }
  }
}
