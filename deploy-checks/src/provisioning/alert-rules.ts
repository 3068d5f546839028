/**
 * provisioning/alerts/*.yml: alerting rules in Prometheus' rule file format,
 * for vmalert (`-rule=`) or Prometheus (`rule_files`). Both parse the file
 * strictly: an unknown key, a bad duration or a bad name stops them loading
 * every rule of the file, and that shows only in their log. So the keys
 * allowed here are the ones both accept (Prometheus' rulefmt and vmalert's
 * config), and each alert must carry what routing and the runbook rely on:
 * a severity Alertmanager can route on, a summary and a description.
 * The expressions go to exposed-target.ts, as the internals dashboard's do.
 */
import { parse as parseYaml } from 'yaml';
import { IssueList, isRecord } from '../issues';
import { checkExposedTarget, type ExposedContext } from './exposed-target';

/** Both Prometheus and vmalert accept these; vmalert's extras (type, concurrency, params, …) Prometheus refuses, and the other way round. */
const TOP_KEYS = new Set(['groups']);
const GROUP_KEYS = new Set(['name', 'interval', 'limit', 'rules']);
const ALERT_KEYS = new Set(['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
const RECORD_KEYS = new Set(['record', 'expr', 'labels']);
/** Routing in Alertmanager matches on these; any other value would go to the default route unnoticed. */
export const SEVERITIES: readonly string[] = ['critical', 'warning', 'info'];
/** docs/operations.md ("What to watch") and the notification text rest on these. */
const REQUIRED_ANNOTATIONS = ['summary', 'description'];
/** Prometheus' duration syntax (model.ParseDuration): units in descending order, each at most once. */
const DURATION = /^(?=\d)(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface AlertRule {
  readonly group: string;
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly severity?: string;
}

function unknownKeys(value: Record<string, unknown>, known: ReadonlySet<string>, issues: IssueList, at: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      issues.add('alert-rules', `${at}${at === '' ? '' : '.'}${key}`, `unknown key (allowed: ${[...known].join(', ')}); vmalert and Prometheus refuse the whole file`);
    }
  }
}

function checkDuration(value: unknown, issues: IssueList, at: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !DURATION.test(value)) {
    issues.add('alert-rules', at, `"${String(value)}" is not a Prometheus duration such as 30s, 5m or 1h30m`);
    return undefined;
  }
  return value;
}

/** Labels or annotations: a map of valid names to strings (a number or a boolean in YAML is not a string to Prometheus). */
function checkStringMap(value: unknown, issues: IssueList, at: string): Record<string, string> {
  if (value === undefined) {
    return {};
  }
  if (!isRecord(value)) {
    issues.add('alert-rules', at, 'must be a map of names to strings');
    return {};
  }
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (!LABEL.test(key)) {
      issues.add('alert-rules', `${at}.${key}`, 'is not a valid label name');
    }
    if (typeof entry !== 'string') {
      issues.add('alert-rules', `${at}.${key}`, `must be a string, not ${JSON.stringify(entry)} (quote it)`);
    } else {
      map[key] = entry;
    }
  }
  return map;
}

function checkRule(rule: unknown, group: string, context: ExposedContext, issues: IssueList, at: string): AlertRule | undefined {
  if (!isRecord(rule)) {
    issues.add('alert-rules', at, 'must be a rule (a map with alert or record, and expr)');
    return undefined;
  }
  const isAlert = rule.alert !== undefined;
  if (isAlert === (rule.record !== undefined)) {
    issues.add('alert-rules', at, 'must have exactly one of alert and record');
    return undefined;
  }
  unknownKeys(rule, isAlert ? ALERT_KEYS : RECORD_KEYS, issues, at);
  const name = isAlert ? rule.alert : rule.record;
  if (typeof name !== 'string' || !NAME.test(name)) {
    issues.add('alert-rules', `${at}.${isAlert ? 'alert' : 'record'}`, `${JSON.stringify(name)} is not a valid name (letters, digits, _ and :)`);
  }
  if (typeof rule.expr !== 'string' || rule.expr.trim() === '') {
    issues.add('alert-rules', `${at}.expr`, 'must be a non-empty PromQL expression');
  } else {
    checkExposedTarget(rule.expr, context, issues, `${at}.expr`);
  }
  const labels = checkStringMap(rule.labels, issues, `${at}.labels`);
  if (!isAlert) {
    return undefined;
  }
  const forDuration = checkDuration(rule.for, issues, `${at}.for`);
  checkDuration(rule.keep_firing_for, issues, `${at}.keep_firing_for`);
  const severity = labels.severity;
  if (severity === undefined || !SEVERITIES.includes(severity)) {
    issues.add('alert-rules', `${at}.labels.severity`, `must be one of ${SEVERITIES.join(', ')}${severity === undefined ? '' : `, not "${severity}"`}`);
  }
  const annotations = checkStringMap(rule.annotations, issues, `${at}.annotations`);
  for (const key of REQUIRED_ANNOTATIONS) {
    if ((annotations[key] ?? '').trim() === '') {
      issues.add('alert-rules', `${at}.annotations.${key}`, 'is required: the notification and the runbook rest on it');
    }
  }
  return {
    group,
    alert: String(name),
    expr: String(rule.expr),
    ...(forDuration === undefined ? {} : { for: forDuration }),
    ...(severity === undefined ? {} : { severity }),
  };
}

/** Checks one rule file; returns its alerting rules (for tests and the runbook's cross-check). */
export function checkAlertRules(text: string, context: ExposedContext, issues: IssueList): AlertRule[] {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    issues.add('parse', '', (error as Error).message);
    return [];
  }
  if (!isRecord(document) || !Array.isArray(document.groups) || document.groups.length === 0) {
    issues.add('alert-rules', 'groups', 'must be a non-empty list of rule groups');
    return [];
  }
  unknownKeys(document, TOP_KEYS, issues, '');
  const alerts: AlertRule[] = [];
  const groupNames = new Set<string>();
  document.groups.forEach((group: unknown, index) => {
    const at = `groups[${index}]`;
    if (!isRecord(group) || typeof group.name !== 'string' || group.name === '') {
      issues.add('alert-rules', at, 'must be a group with a name');
      return;
    }
    if (groupNames.has(group.name)) {
      // Both refuse a file with two groups of one name.
      issues.add('unique', `${at}.name`, `group "${group.name}" is defined twice`);
    }
    groupNames.add(group.name);
    unknownKeys(group, GROUP_KEYS, issues, at);
    checkDuration(group.interval, issues, `${at}.interval`);
    if (group.limit !== undefined && !(Number.isInteger(group.limit) && (group.limit as number) >= 0)) {
      issues.add('alert-rules', `${at}.limit`, 'must be a non-negative integer');
    }
    if (!Array.isArray(group.rules) || group.rules.length === 0) {
      issues.add('alert-rules', `${at}.rules`, 'must be a non-empty list of rules');
      return;
    }
    group.rules.forEach((rule: unknown, ruleIndex) => {
      const alert = checkRule(rule, group.name as string, context, issues, `${at}.rules[${ruleIndex}]`);
      if (alert !== undefined) {
        if (alerts.some((other) => other.alert === alert.alert)) {
          // Alertmanager groups notifications by alertname: two rules of one name would read as one alert.
          issues.add('unique', `${at}.rules[${ruleIndex}].alert`, `alert "${alert.alert}" is defined twice`);
        }
        alerts.push(alert);
      }
    });
  });
  return alerts;
}
