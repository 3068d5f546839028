/**
 * provisioning/alerts/: the shipped rules pass, cover what docs/operations.md
 * promises, and each check fails on a copy broken the way it guards against
 * (a broken file would load no alert at all in vmalert or Prometheus).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProvisioning } from '../src/provisioning';
import { formatIssues, type CheckCode } from '../src/issues';
import { REPO_ROOT } from '../src/repo';
import { repoCopy, replaceOnce, type RepoCopy } from './support/repo-copy';

const RULES = 'provisioning/alerts/panecast.rules.yml';

function issuesAfter(change: (copy: RepoCopy) => void) {
  const copy = repoCopy();
  try {
    change(copy);
    return checkProvisioning(copy.root).issues.filter((issue) => issue.file.startsWith('provisioning/alerts'));
  } finally {
    copy.dispose();
  }
}

describe('the shipped alerting rules', () => {
  const provisioning = checkProvisioning(REPO_ROOT);

  it('have no issues, and every alert a severity', () => {
    expect(formatIssues(provisioning.issues)).toBe('');
    expect(provisioning.alerts.length).toBeGreaterThanOrEqual(8);
    expect(provisioning.alerts.every((alert) => alert.severity === 'critical' || alert.severity === 'warning')).toBe(true);
  });

  it('cover what the runbook lists, each alert named there', () => {
    const exprs = provisioning.alerts.map((alert) => alert.expr).join('\n');
    for (const series of [
      'up{job="panecast"}',
      'panecast_consumer_lag_records',
      'absent(panecast_consumer_lag_records{job="panecast"})',
      'panecast_composer_watermark_lag_seconds',
      'panecast_processor_events_too_late_total',
      'PANECAST_ERR_BUFFER_UNAVAILABLE',
      'PANECAST_ERR_BUSY',
      'code="1011", by="server"',
      'panecast_history_panes_past_retention_total',
      'process_resident_memory_bytes',
    ]) {
      expect(exprs).toContain(series);
    }
    const runbook = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    for (const alert of provisioning.alerts) {
      expect(runbook).toContain(`\`${alert.alert}\``);
    }
  });
});

type Case = [title: string, code: CheckCode, change: (text: string) => string];

describe('each rule check fails on a broken copy', () => {
  const cases: Case[] = [
    ['a file that is not YAML', 'parse', replaceOnce('groups:\n', 'groups: [\n')],
    ['a rule naming a series /metrics does not expose', 'metric', replaceOnce('panecast_processor_commits_failed_total', 'panecast_processor_commit_failures_total')],
    ['a rule reading a history series', 'metric', replaceOnce('max(panecast_consumer_lag_records{job="panecast"}) > 1000', 'max(panecast_events_count{job="panecast"}) > 1000')],
    ['an expression that is not PromQL', 'metricsql', replaceOnce('up{job="panecast"} == 0', 'up{job="panecast"} == = 0')],
    ['a range that is no duration', 'metricsql', replaceOnce('[15m]', '[15 minutes]')],
    ['a label the series lacks', 'metricsql', replaceOnce('code="1011", by="server"', 'code="1011", side="server"')],
    ['grouping by a label the series lack', 'metricsql', replaceOnce('max by (instance) (process_resident_memory_bytes', 'max by (pod) (process_resident_memory_bytes')],
    ['a code the catalogue does not have', 'metricsql', replaceOnce('code="PANECAST_ERR_BUSY"', 'code="PANECAST_ERR_BUSSY"')],
    ['a close code that is not one', 'metricsql', replaceOnce('code="1011"', 'code="internal"')],
    ['a selector without a job', 'metricsql', replaceOnce('up{job="panecast"} == 0', 'up == 0')],
    ['a job the scrape config does not define', 'scrape', replaceOnce('up{job="panecast"} == 0', 'up{job="backend"} == 0')],
    ['a for that is no duration', 'alert-rules', replaceOnce('expr: up{job="panecast"} == 0\n        for: 2m\n', 'expr: up{job="panecast"} == 0\n        for: 2 minutes\n')],
    ['units out of order', 'alert-rules', replaceOnce('for: 10m\n        labels:\n          severity: warning\n        annotations:\n          summary: "Panecast backend', 'for: 10m1h\n        labels:\n          severity: warning\n        annotations:\n          summary: "Panecast backend')],
    ['a group interval that is no duration', 'alert-rules', replaceOnce('interval: 30s', 'interval: 30')],
    ['an alert without a severity', 'alert-rules', replaceOnce('        labels:\n          severity: critical\n        annotations:\n          summary: "No process', '        annotations:\n          summary: "No process')],
    ['a severity Alertmanager routes nowhere', 'alert-rules', replaceOnce('severity: critical\n        annotations:\n          summary: "No process', 'severity: page\n        annotations:\n          summary: "No process')],
    ['an alert without a summary', 'alert-rules', replaceOnce('          summary: "Processor commits to Redis fail"\n', '')],
    ['an unknown key in a rule', 'alert-rules', replaceOnce('      - alert: PanecastCommitsFailing\n', '      - alert: PanecastCommitsFailing\n        severity: warning\n')],
    ['an unknown key in a group', 'alert-rules', replaceOnce('    interval: 30s\n', '    interval: 30s\n    concurrency: 2\n')],
    ['a rule both alert and record', 'alert-rules', replaceOnce('      - alert: PanecastCommitsFailing\n', '      - alert: PanecastCommitsFailing\n        record: panecast:commits_failed:rate5m\n')],
    ['an alert name with a space', 'alert-rules', replaceOnce('alert: PanecastCommitsFailing', 'alert: Panecast Commits Failing')],
    ['two alerts with one name', 'unique', replaceOnce('alert: PanecastCollectorBusy', 'alert: PanecastCollectorLogUnavailable')],
  ];

  it.each(cases)('%s → %s', (_title, code, change) => {
    const issues = issuesAfter((copy) => copy.edit(RULES, change));
    expect(issues.map((issue) => issue.check)).toContain(code);
  });

  it('no rule file at all is reported', () => {
    const issues = checkProvisioningWithout(RULES);
    expect(issues.map((issue) => issue.check)).toContain('required');
  });
});

function checkProvisioningWithout(file: string) {
  const copy = repoCopy();
  try {
    copy.remove(file);
    return checkProvisioning(copy.root).issues;
  } finally {
    copy.dispose();
  }
}
