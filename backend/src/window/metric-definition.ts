/**
 * Metric definitions: what a metric counts, measures and may be grouped by.
 * Parsed once at start-up from an already decoded YAML/JSON document into
 * frozen objects; every problem is reported with the file, the metric and
 * the field, all at once, so a bad file is fixed in one pass.
 *
 * Document shape (YAML shown):
 *
 *   metrics:
 *     - name: http_latency_ms          # lowercase snake_case, unique
 *       description: Request latency
 *       unit: ms                       # optional, shown by the query editor
 *       match:                         # `type` and/or `where`, all must hold
 *         type: [http_request]         # one type, a list, or "*" for any type
 *         where:                       # field: value (equality) or field: {op: value}
 *           env: prod
 *           status: { gte: 200, lt: 600 }
 *           method: { in: [GET, POST] }
 *       measure: duration_ms           # numeric field; without it: count, rate, distinct only
 *       quantiles: true                # keep a DDSketch per series × pane (needs measure)
 *       distinctOf: user_id            # count distinct values of this field (HyperLogLog)
 *       dimensions: [service, route]   # what a query may group by / filter on; `type` is the event type
 *       cardinalityCap: 5000           # distinct dimension tuples kept, over all partitions; more go to `__other__`
 *
 * File reading and YAML decoding are the caller's: this module is pure.
 */
import { PanecastError } from '../errors';
import { DEFAULT_HLL_PRECISION, MAX_HLL_PRECISION, MIN_HLL_PRECISION } from './aggregates/hyperloglog';
import { FIELD_PATTERN } from './event-names';
import { MatchParser, isRecord, type MetricMatch } from './metric-match-parser';


export interface MetricDefinition {
  readonly name: string;
  readonly description: string;
  readonly unit?: string;
  readonly match: MetricMatch;
  /** Numeric field aggregated by sum/avg/min/max (and quantiles). */
  readonly measure?: string;
  /** Whether a quantile sketch is kept (needs `measure`). */
  readonly quantiles: boolean;
  /** Field whose distinct values are counted. */
  readonly distinctOf?: string;
  readonly hllPrecision: number;
  readonly dimensions: readonly string[];
  readonly cardinalityCap: number;
  /** File the definition came from, for later messages. */
  readonly source: string;
}

/** The dimension name that reads the event's `type` rather than a field. */
export const TYPE_DIMENSION = 'type';
export const DEFAULT_CARDINALITY_CAP = 10_000;
export const MAX_CARDINALITY_CAP = 1_000_000;
export const MAX_DIMENSIONS = 16;
/** Labels the history series set themselves (process/history-writer.ts): a dimension so named would be overwritten. */
const HISTORY_LABELS: readonly string[] = ['__name__', 'window', 'scope', 'vmrange'];

export interface DefinitionIssue {
  file: string;
  /** The metric's name, or `#<index>` when it has no valid name. */
  metric?: string;
  field?: string;
  rule: string;
}

/** Every problem found in one document; `code` is stable, `issues` lists them all. */
export class MetricDefinitionError extends PanecastError {
  readonly issues: readonly DefinitionIssue[];

  constructor(issues: readonly DefinitionIssue[]) {
    const first = issues[0] as DefinitionIssue;
    const code = first.metric === undefined ? 'PANECAST_ERR_METRIC_FILE' : 'PANECAST_ERR_METRIC_DEFINITION';
    super(code, { file: first.file, metric: first.metric ?? '', field: first.field ?? '', rule: first.rule }, { issues });
    this.name = 'MetricDefinitionError';
    this.issues = issues;
    if (issues.length > 1) {
      this.message = issues.map(formatIssue).join('\n');
    }
  }
}

export function formatIssue(issue: DefinitionIssue): string {
  if (issue.metric === undefined) {
    return `${issue.file}: ${issue.rule}`;
  }
  return `${issue.file}: metric "${issue.metric}": field "${issue.field ?? ''}": ${issue.rule}`;
}

const NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
const KNOWN_FIELDS = [
  'name',
  'description',
  'unit',
  'match',
  'measure',
  'quantiles',
  'distinctOf',
  'hllPrecision',
  'dimensions',
  'cardinalityCap',
];

/** Collects the issues of one metric entry; returns the definition when there are none. */
class EntryParser {
  readonly issues: DefinitionIssue[] = [];
  private readonly matchParser = new MatchParser((field, rule) => this.fail(field, rule));

  constructor(
    private readonly file: string,
    private readonly metric: string,
  ) {}

  fail(field: string, rule: string): undefined {
    this.issues.push({ file: this.file, metric: this.metric, field, rule });
    return undefined;
  }

  fieldName(field: string, value: unknown): string | undefined {
    if (typeof value !== 'string' || !FIELD_PATTERN.test(value)) {
      return this.fail(field, 'must be a field name (a letter or _, then letters, digits, _ . : -; at most 128)');
    }
    return value;
  }

  dimensions(value: unknown): string[] | undefined {
    if (value === undefined) {
      return [];
    }
    if (!Array.isArray(value) || value.length > MAX_DIMENSIONS) {
      return this.fail('dimensions', `must be a list of at most ${MAX_DIMENSIONS} field names`);
    }
    const seen = new Set<string>();
    for (const dimension of value) {
      if (this.fieldName('dimensions', dimension) === undefined) {
        return undefined;
      }
      if (seen.has(dimension as string)) {
        return this.fail('dimensions', `lists "${String(dimension)}" twice`);
      }
      if (HISTORY_LABELS.includes(dimension as string)) {
        return this.fail('dimensions', `"${String(dimension)}" is a label of the history series (${HISTORY_LABELS.join(', ')}): name the dimension otherwise`);
      }
      seen.add(dimension as string);
    }
    return [...seen];
  }

  integer(field: string, value: unknown, min: number, max: number, fallback: number): number | undefined {
    if (value === undefined) {
      return fallback;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(field, `must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  parse(entry: Record<string, unknown>): MetricDefinition | undefined {
    for (const key of Object.keys(entry)) {
      if (!KNOWN_FIELDS.includes(key)) {
        this.fail(key, `is not a known field (known: ${KNOWN_FIELDS.join(', ')})`);
      }
    }
    const description = entry.description;
    if (typeof description !== 'string' || description.trim() === '' || description.length > 500) {
      this.fail('description', 'must be a non-empty string of at most 500 characters');
    }
    if (entry.unit !== undefined && (typeof entry.unit !== 'string' || entry.unit.length === 0 || entry.unit.length > 32)) {
      this.fail('unit', 'must be a string of 1 to 32 characters');
    }
    const match = this.matchParser.match(entry.match);
    const measure = entry.measure === undefined ? undefined : this.fieldName('measure', entry.measure);
    const distinctOf = entry.distinctOf === undefined ? undefined : this.fieldName('distinctOf', entry.distinctOf);
    if (entry.quantiles !== undefined && typeof entry.quantiles !== 'boolean') {
      this.fail('quantiles', 'must be true or false');
    }
    const quantiles = entry.quantiles === true;
    if (quantiles && entry.measure === undefined) {
      this.fail('quantiles', 'needs a `measure`: quantiles are of the measure');
    }
    if (entry.hllPrecision !== undefined && entry.distinctOf === undefined) {
      this.fail('hllPrecision', 'needs `distinctOf`');
    }
    const hllPrecision = this.integer('hllPrecision', entry.hllPrecision, MIN_HLL_PRECISION, MAX_HLL_PRECISION, DEFAULT_HLL_PRECISION);
    const dimensions = this.dimensions(entry.dimensions);
    const cardinalityCap = this.integer('cardinalityCap', entry.cardinalityCap, 1, MAX_CARDINALITY_CAP, DEFAULT_CARDINALITY_CAP);
    // A field that is aggregated cannot also split the series: every distinct amount (or user) would be
    // a tuple of its own, filling the cardinality cap and sending the rest to `__other__`.
    for (const [field, aggregated] of [['measure', measure], ['distinctOf', distinctOf]] as const) {
      if (aggregated !== undefined && dimensions?.includes(aggregated) === true) {
        this.fail('dimensions', `lists "${aggregated}", the metric's \`${field}\`: a field is either aggregated or a dimension`);
      }
    }
    if (this.issues.length > 0 || match === undefined || dimensions === undefined) {
      return undefined;
    }
    const definition: MetricDefinition = {
      name: this.metric,
      description: (description as string).trim(),
      ...(typeof entry.unit === 'string' ? { unit: entry.unit } : {}),
      match: deepFreeze(match),
      ...(measure !== undefined ? { measure } : {}),
      quantiles,
      ...(distinctOf !== undefined ? { distinctOf } : {}),
      hllPrecision: hllPrecision as number,
      dimensions: Object.freeze(dimensions),
      cardinalityCap: cardinalityCap as number,
      source: this.file,
    };
    return Object.freeze(definition);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object)) {
      deepFreeze(inner);
    }
  }
  return value;
}

/**
 * Parses one decoded document. `file` names it in errors. Throws a
 * MetricDefinitionError listing every issue; returns frozen definitions.
 */
export function parseMetricDefinitions(document: unknown, file: string): readonly MetricDefinition[] {
  const fileIssue = (rule: string): never => {
    throw new MetricDefinitionError([{ file, rule }]);
  };
  if (!isRecord(document)) {
    return fileIssue('must be a mapping with a `metrics` list');
  }
  for (const key of Object.keys(document)) {
    if (key !== 'metrics') {
      fileIssue(`top-level field "${key}" is not known (known: metrics)`);
    }
  }
  const entries = document.metrics;
  if (!Array.isArray(entries) || entries.length === 0) {
    return fileIssue('`metrics` must be a non-empty list of metric definitions');
  }
  const issues: DefinitionIssue[] = [];
  const definitions: MetricDefinition[] = [];
  const names = new Map<string, number>();
  entries.forEach((entry: unknown, index) => {
    const label = isRecord(entry) && typeof entry.name === 'string' && entry.name !== '' ? entry.name : `#${index + 1}`;
    if (!isRecord(entry)) {
      issues.push({ file, metric: label, field: '', rule: 'must be a mapping' });
      return;
    }
    const parser = new EntryParser(file, label);
    if (typeof entry.name !== 'string' || !NAME_PATTERN.test(entry.name)) {
      parser.fail('name', 'must be lowercase snake_case: a letter, then a-z, 0-9, _ (at most 64)');
    } else if (names.has(entry.name)) {
      parser.fail('name', `is already used by metric #${(names.get(entry.name) as number) + 1} of this file`);
    } else {
      names.set(entry.name, index);
    }
    const definition = parser.parse(entry);
    issues.push(...parser.issues);
    if (definition !== undefined && parser.issues.length === 0) {
      definitions.push(definition);
    }
  });
  if (issues.length > 0) {
    throw new MetricDefinitionError(issues);
  }
  return Object.freeze(definitions);
}

/** Joins the definitions of several files; a name defined twice is an error naming both files. */
export function combineDefinitions(lists: readonly (readonly MetricDefinition[])[]): readonly MetricDefinition[] {
  const byName = new Map<string, MetricDefinition>();
  const issues: DefinitionIssue[] = [];
  for (const definition of lists.flat()) {
    const earlier = byName.get(definition.name);
    if (earlier !== undefined) {
      issues.push({ file: definition.source, metric: definition.name, field: 'name', rule: `is already defined in ${earlier.source}` });
      continue;
    }
    byName.set(definition.name, definition);
  }
  if (issues.length > 0) {
    throw new MetricDefinitionError(issues);
  }
  return Object.freeze([...byName.values()]);
}

/** The aggregates a metric can serve, for the query editor and query validation. */
export function servableAggregates(definition: MetricDefinition): string[] {
  const names = ['count', 'rate'];
  if (definition.measure !== undefined) {
    names.push('sum', 'avg', 'min', 'max');
  }
  if (definition.quantiles) {
    names.push('p50', 'p90', 'p95', 'p99', 'quantile(q)');
  }
  if (definition.distinctOf !== undefined) {
    names.push('distinct');
  }
  return names;
}
