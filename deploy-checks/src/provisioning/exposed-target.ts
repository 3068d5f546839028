/**
 * An expression reading the backend's own health, scraped from its
 * `GET /metrics` (provisioning/victoriametrics/scrape.yml): Panecast's
 * `panecast_*` figures and Node's `process_*` and `nodejs_*` series, in an
 * alerting rule (provisioning/alerts) or a dashboard target (the internals
 * dashboard). Parsed with Prometheus' own PromQL grammar
 * (@prometheus-io/lezer-promql, what Prometheus' UI parses with), so a
 * syntax error, a bad range duration or a stray token is found here rather
 * than by vmalert or Prometheus refusing the whole file at start-up. PromQL
 * rather than MetricsQL on purpose: a rule file must load in both, and
 * PromQL is the common subset.
 *
 * Then the series: every selector must name a series `GET /metrics` exposes
 * (the backend's own catalogue, backend/src/observe/catalogue.ts) or `up`,
 * which the scrape itself writes; every label it matches or groups by must
 * be one those series carry or the scrape adds (`job`, `instance`); a `job`
 * it selects must be a job of the scrape config; and a `code` value of a
 * Panecast figure must be one the figure can carry. An expression over a
 * misspelled series or label is valid PromQL that reads nothing: that is
 * what this guards against.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { ERRORS } from '../../../backend/src/errors';
import type { ExposedSeries } from '../../../backend/src/observe/catalogue';
import type { IssueList } from '../issues';

export type ExposedCatalogue = ReadonlyMap<string, ExposedSeries>;

const NAME = /\b((?:panecast|process|nodejs)_[a-z0-9_]+)\b/g;
/** A history series of a metric (metricsql-target.ts reads those). */
const HISTORY = /^panecast_[a-z][a-z0-9_]*?_(count|sum|min|max|bucket|distinct)$/;
/** Labels every scraped series gets from the scrape itself. */
const SCRAPE_LABELS = ['job', 'instance'];
/** Grafana's interval and range variables, which a dashboard target may put where PromQL wants a duration. */
const GRAFANA_INTERVAL = /\$\{?__(?:rate_interval|interval|range)\}?/g;

/** Whether `expr` reads scraped series rather than (only) history series. */
export function readsExposedSeries(expr: string): boolean {
  return [...expr.matchAll(NAME)].some((match) => !HISTORY.test(match[1] as string));
}

export interface ExposedContext {
  readonly exposed: ExposedCatalogue;
  /** Job names of the scrape config. */
  readonly jobs: ReadonlySet<string>;
}

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** `up`, the series the scrape itself writes per target. */
const UP = 'up';

/** The families whose `code` label is a WebSocket close code (live/close-counts.ts bounds it), not a catalogue code. */
const CLOSE_CODE_FAMILIES = new Set(['panecast_live_connections_closed_total']);
const CLOSE_CODE = /^(\d{4}|other)$/;
/** A regex matcher this check can read as a list of alternatives (`A|B`); anything else is left alone. */
const ALTERNATION = /^[A-Za-z0-9_]+(\|[A-Za-z0-9_]+)*$/;
/** `who` of panecast_live_connections_closed_total. */
const CLOSED_BY = new Set(['client', 'server']);

function children(node: SyntaxNode): SyntaxNode[] {
  const list: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    list.push(child);
  }
  return list;
}

function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  return children(node).flatMap((child) => [...(child.name === name ? [child] : []), ...descendants(child, name)]);
}

/** The unquoted text of a string literal: PromQL strings are Go-style, so JSON.parse reads a double-quoted one. */
function literal(text: string): string {
  if (text.startsWith('"')) {
    try {
      return String(JSON.parse(text));
    } catch {
      return text.slice(1, -1);
    }
  }
  return text.slice(1, -1);
}

function checkValues(series: string, label: string, op: string, value: string, context: ExposedContext, issues: IssueList, at: string): void {
  if (op === '!=' || op === '!~' || (op === '=~' && !ALTERNATION.test(value))) {
    return;
  }
  const values = op === '=~' ? value.split('|') : [value];
  for (const one of values) {
    let problem: string | undefined;
    if (label === 'job' && !context.jobs.has(one)) {
      issues.add('scrape', at, `job "${one}" is not a job of the scrape config (${[...context.jobs].join(', ') || 'none'}): the expression reads nothing`);
    } else if (label === 'code') {
      const close = CLOSE_CODE_FAMILIES.has(series);
      if (close ? !CLOSE_CODE.test(one) : !(one in ERRORS)) {
        problem = close ? 'a WebSocket close code (4 digits) or "other"' : 'a code of the error catalogue (backend/src/errors.ts)';
      }
    } else if (label === 'by' && !CLOSED_BY.has(one)) {
      problem = '"client" or "server"';
    }
    if (problem !== undefined) {
      issues.add('metricsql', at, `${series}{${label}${op}"${value}"}: "${one}" is not ${problem}, so the selector matches nothing`);
    }
  }
}

/** Returns the labels the selector's series carry (empty when the series is unknown). */
function checkSelector(selector: SyntaxNode, expr: string, context: ExposedContext, issues: IssueList, at: string): readonly string[] {
  const identifier = selector.getChild('Identifier');
  if (identifier === null) {
    issues.add('metricsql', at, `"${expr.slice(selector.from, selector.to)}" selects no series by name: name the series, so the check (and a reader) knows what it reads`);
    return [];
  }
  const name = expr.slice(identifier.from, identifier.to);
  const labels = name === UP ? [] : context.exposed.get(name)?.labels;
  if (labels === undefined) {
    issues.add('metric', at, `${name} is not a series GET /metrics exposes (backend/src/observe/catalogue.ts), nor up`);
    return [];
  }
  const known = [...labels, ...SCRAPE_LABELS];
  const matched = new Set<string>();
  for (const matcher of descendants(selector, 'UnquotedLabelMatcher')) {
    const [labelNode, opNode, valueNode] = children(matcher);
    if (labelNode === undefined || opNode === undefined || valueNode === undefined) {
      continue;
    }
    const label = expr.slice(labelNode.from, labelNode.to);
    matched.add(label);
    if (!known.includes(label)) {
      issues.add('metricsql', at, `label "${label}" is not on ${name} (${known.join(', ')})`);
      continue;
    }
    checkValues(name, label, expr.slice(opNode.from, opNode.to), literal(expr.slice(valueNode.from, valueNode.to)), context, issues, at);
  }
  if (!matched.has('job')) {
    // Another job's series of the same name (a second Node service) would join in.
    issues.add('metricsql', at, `${name} needs {job="…"}: without it the expression also reads other jobs' series of that name`);
  }
  return known;
}

/**
 * Checks an expression over scraped series: an alerting rule's, or a dashboard target's once
 * metricsql-target.ts checked its variable references (Grafana's interval variables are read as a
 * duration here, so the rest parses as PromQL).
 */
export function checkExposedTarget(source: string, context: ExposedContext, issues: IssueList, at: string): void {
  const expr = source.replace(GRAFANA_INTERVAL, (variable) => '1m'.padEnd(variable.length));
  const tree = parser.parse(expr);
  let syntax = false;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError && !syntax) {
        syntax = true;
        issues.add('metricsql', at, `does not parse as PromQL at offset ${node.from} ("${expr.slice(Math.max(0, node.from - 10), node.to + 10)}")`);
      }
    },
  });
  if (syntax) {
    return;
  }
  const top = tree.topNode;
  const selectors = descendants(top, 'VectorSelector');
  if (selectors.length === 0) {
    issues.add('metric', at, 'reads no series');
    return;
  }
  const labels = new Set(selectors.flatMap((selector) => checkSelector(selector, expr, context, issues, at)));
  // by (…), without (…), on (…), ignoring (…): a label no series carries groups nothing and joins nothing.
  for (const grouping of descendants(top, 'GroupingLabels')) {
    for (const labelNode of descendants(grouping, 'LabelName')) {
      const label = expr.slice(labelNode.from, labelNode.to);
      if (labels.size > 0 && !labels.has(label)) {
        issues.add('metricsql', at, `groups or matches on "${label}", which is not a label of the series it reads`);
      }
    }
  }
}
