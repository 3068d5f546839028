/**
 * provisioning/: the shipped files pass every check, each demo dashboard
 * shows what the demo promises, and each check fails on a copy broken the way
 * it guards against.
 */
import { checkProvisioning } from '../src/provisioning';
import { formatIssues, type CheckCode, type Issue } from '../src/issues';
import { REPO_ROOT } from '../src/repo';
import { repoCopy, replaceOnce, type RepoCopy } from './support/repo-copy';

const GAMES = 'provisioning/dashboards/games.json';
const ADS = 'provisioning/dashboards/ads.json';
const SERVERS = 'provisioning/dashboards/servers.json';
const INTERNALS = 'provisioning/dashboards/internals.json';
const SCRAPE = 'provisioning/victoriametrics/scrape.yml';
const DATASOURCES = 'provisioning/datasources/panecast.yaml';
const PROVIDERS = 'provisioning/dashboards/dashboards.yaml';

function issuesAfter(change: (copy: RepoCopy) => void): Issue[] {
  const copy = repoCopy();
  try {
    change(copy);
    return checkProvisioning(copy.root).issues;
  } finally {
    copy.dispose();
  }
}

describe('the shipped provisioning', () => {
  const provisioning = checkProvisioning(REPO_ROOT);

  it('has no issues', () => {
    expect(formatIssues(provisioning.issues)).toBe('');
    expect([...provisioning.dashboards.keys()].sort()).toEqual([ADS, GAMES, INTERNALS, SERVERS]);
  });

  it('provisions the two datasources CONTRACTS.md fixes, their settings from the environment', () => {
    expect(provisioning.datasources.get('panecast')?.type).toBe('panecast-live-datasource');
    expect(provisioning.datasources.get('victoriametrics')?.type).toBe('prometheus');
    expect([...provisioning.environment].sort()).toEqual(['PANECAST_LIVE_URL', 'PANECAST_READ_KEY', 'PANECAST_URL', 'VICTORIAMETRICS_URL']);
  });

    it('shows the backend\'s own health on the internals dashboard, from series GET /metrics exposes', () => {
    const dashboard = provisioning.dashboards.get(INTERNALS) as { panels: Array<{ datasource: { uid: string }; targets: Array<{ expr: string }> }> };
    expect(dashboard.panels.every((panel) => panel.datasource.uid === 'victoriametrics')).toBe(true);
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n');
    for (const series of [
      'panecast_collector_events_accepted_total',
      'panecast_consumer_lag_records',
      'panecast_composer_watermark_lag_seconds',
      'panecast_processor_events_too_late_total',
      'panecast_live_connections',
      'panecast_composer_frames_published_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(exprs).toContain(series);
    }
    expect(provisioning.scrape.jobs.map((job) => job.name)).toEqual(['panecast']);
  });

  // What issue 6 asks of every demo dashboard.
  it.each([GAMES, ADS, SERVERS])('%s has tumbling and sliding windows, a percentile, a distinct count, a group-by, a variable and VictoriaMetrics history', (file) => {
    const dashboard = provisioning.dashboards.get(file) as {
      panels: Array<{ type: string; datasource: { uid: string }; targets: Array<Record<string, any>> }>;
      templating: { list: Array<{ type: string; datasource?: { uid: string } }> };
    };
    const live = dashboard.panels.filter((p) => p.type === 'panecast-live-panel').flatMap((p) => p.targets);
    expect(live.some((t) => t.window.type === 'tumbling')).toBe(true);
    expect(live.some((t) => t.window.type === 'sliding')).toBe(true);
    expect(live.some((t) => /^(p\d\d|quantile\(.*\))$/.test(t.aggregate))).toBe(true);
    expect(live.some((t) => t.aggregate === 'distinct')).toBe(true);
    expect(live.some((t) => (t.groupBy ?? []).length > 0)).toBe(true);
    expect(dashboard.templating.list.some((v) => v.type === 'query' && v.datasource?.uid === 'panecast')).toBe(true);
    const history = dashboard.panels.filter((p) => p.type === 'timeseries' && p.datasource.uid === 'victoriametrics').flatMap((p) => p.targets);
    const liveMetrics = new Set(live.map((t) => t.metric));
    // The history panel shows one of the live panels' metrics, read from the series the history writer stores.
    expect(history.some((t) => [...liveMetrics].some((m) => String(t.expr).includes(`panecast_${m}_`)))).toBe(true);
  });
});

type Case = [title: string, code: CheckCode, change: (copy: RepoCopy) => void];

const dashboardCase = (title: string, code: CheckCode, change: (d: any) => void, file = GAMES): Case => [title, code, (copy) => copy.editJson(file, change)];
const liveTarget = (d: any, panel = 0, target = 0): any => d.panels[panel].targets[target];

describe('each check fails on a broken copy', () => {
  const cases: Case[] = [
    ['a dashboard that is not JSON', 'parse', (copy) => copy.edit(GAMES, (text) => text.replace(/}\s*$/, ''))],
    ['a datasource file that is not YAML', 'parse', (copy) => copy.edit(DATASOURCES, replaceOnce('apiVersion: 1', 'apiVersion: [1'))],
    ['the Panecast datasource without jsonData.url', 'required', (copy) => copy.edit(DATASOURCES, replaceOnce('      url: ${PANECAST_URL}\n', ''))],
    ['the Panecast datasource without a live URL', 'required', (copy) => copy.edit(DATASOURCES, replaceOnce('      liveUrl: ${PANECAST_LIVE_URL}\n', ''))],
    ['the Panecast datasource without secureJsonData.apiKey', 'required', (copy) => copy.edit(DATASOURCES, replaceOnce('apiKey: ${PANECAST_READ_KEY}', 'token: ${PANECAST_READ_KEY}'))],
    ['the read key in jsonData, where every browser sees it', 'datasource', (copy) => copy.edit(DATASOURCES, replaceOnce('      liveUrl: ${PANECAST_LIVE_URL}\n', '      liveUrl: ${PANECAST_LIVE_URL}\n      apiKey: ${PANECAST_READ_KEY}\n'))],
    ['the Panecast datasource with direct access (no data proxy)', 'datasource', (copy) => copy.edit(DATASOURCES, replaceOnce('    uid: panecast\n    access: proxy', '    uid: panecast\n    access: direct'))],
    ['the contract uid victoriametrics renamed', 'datasource', (copy) => copy.edit(DATASOURCES, replaceOnce('uid: victoriametrics', 'uid: vm'))],
    ['a datasource of a type nothing provides', 'datasource', (copy) => copy.edit(DATASOURCES, replaceOnce('type: prometheus', 'type: victoriametrics-datasource'))],
    ['a provider that is not a file provider', 'provider', (copy) => copy.edit(PROVIDERS, replaceOnce('type: file', 'type: folder'))],
    dashboardCase('a missing uid', 'required', (d) => delete d.uid),
    dashboardCase('an old schemaVersion', 'schema-version', (d) => (d.schemaVersion = 39)),
    dashboardCase('a panel naming an unknown datasource uid', 'datasource', (d) => (d.panels[0].datasource.uid = 'panecast-live')),
    dashboardCase('a target whose datasource type disagrees with the uid', 'datasource', (d) => (liveTarget(d).datasource.type = 'prometheus')),
    dashboardCase('a misspelled panel type', 'panel-type', (d) => (d.panels[0].type = 'panecast-live-panle')),
    dashboardCase('overlapping panels', 'grid', (d) => (d.panels[1].gridPos.x = 6)),
    dashboardCase('a panel wider than the grid', 'grid', (d) => (d.panels[1].gridPos.w = 13)),
    dashboardCase('two panels with one id', 'unique', (d) => (d.panels[1].id = d.panels[0].id)),
    dashboardCase('two targets with one refId', 'unique', (d) => (d.panels[2].targets[1].refId = 'A')),
    dashboardCase('an unknown metric', 'metric', (d) => (liveTarget(d).metric = 'active_player')),
    dashboardCase('a percentile of a metric without quantiles', 'aggregate', (d) => (liveTarget(d, 0).aggregate = 'p95')),
    dashboardCase('a distinct count of a metric without distinctOf', 'aggregate', (d) => (liveTarget(d, 1).aggregate = 'distinct')),
    dashboardCase('quantile(1.5)', 'aggregate', (d) => (liveTarget(d, 2).aggregate = 'quantile(1.5)')),
    dashboardCase('grouping by an undeclared dimension', 'dimension', (d) => liveTarget(d).groupBy.push('country')),
    dashboardCase('filtering on an undeclared dimension', 'dimension', (d) => (liveTarget(d).filters[0].dimension = 'city')),
    dashboardCase('a legend naming a dimension not grouped by', 'dimension', (d) => (liveTarget(d).legendFormat = '{{platform}}')),
    dashboardCase('a window size that is no duration', 'window', (d) => (liveTarget(d, 1).window.size = '1 minute')),
    dashboardCase('a window size off the 1 s pane', 'window', (d) => (liveTarget(d, 1).window.size = '1500ms')),
    dashboardCase('a sliding window without a slide', 'window', (d) => delete liveTarget(d, 1).window.slide),
    dashboardCase('a slide that does not divide the size', 'window', (d) => (liveTarget(d, 1).window.slide = '7s')),
    dashboardCase('a tumbling window with a slide', 'window', (d) => (liveTarget(d).window.slide = '5s')),
    dashboardCase('a window variable offering a bad size', 'window', (d) => (d.templating.list[1].query = '1s,10s,90x')),
    // Only the datasource plugin's rules know the protocol's longest window (31 days).
    dashboardCase('a window longer than the plugin accepts', 'query-rules', (d) => (liveTarget(d, 1).window.size = '32d')),
    dashboardCase('a window variable offering a size the plugin refuses', 'query-rules', (d) => (d.templating.list[1].query = '1s,10s,40d')),
    dashboardCase('a reference to an undefined variable', 'variable', (d) => (liveTarget(d).filters[0].values = ['$regoin'])),
    dashboardCase('a variable query of unknown form', 'variable', (d) => (d.templating.list[0].query = 'label_values(region)')),
    dashboardCase('a variable listing an undeclared dimension', 'dimension', (d) => (d.templating.list[0].query = 'dimensions(active_players, city)')),
    dashboardCase('a misspelled query field', 'query-field', (d) => {
      liveTarget(d).groupby = liveTarget(d).groupBy;
      delete liveTarget(d).groupBy;
    }),
    dashboardCase('MetricsQL reading a window the writer does not store', 'metricsql', (d) => (d.panels[3].targets[0].expr = 'panecast_active_players_distinct{window="10s"}')),
    dashboardCase('MetricsQL with an undeclared label', 'metricsql', (d) => (d.panels[3].targets[0].expr = 'panecast_active_players_distinct{window="1m", city=""}')),
    dashboardCase('MetricsQL with a distinct scope the writer does not store', 'metricsql', (d) => (d.panels[3].targets[0].expr = 'panecast_active_players_distinct{window="1m", scope="all"}')),
    dashboardCase('MetricsQL reading buckets of a metric without quantiles', 'aggregate', (d) => (d.panels[3].targets[0].expr = 'histogram_quantile(0.9, sum by (vmrange) (sum_over_time(panecast_ad_clicks_bucket{window="1s"}[1m])))'), GAMES),
    dashboardCase('MetricsQL naming an unknown metric', 'metric', (d) => (d.panels[3].targets[0].expr = 'sum(sum_over_time(panecast_ad_click_count{window="1s"}[1m]))'), ADS),
    dashboardCase('MetricsQL grouping by a label the series lack', 'metricsql', (d) => (d.panels[3].targets[0].expr = 'sum by (city) (sum_over_time(panecast_ad_clicks_count{window="1s"}[1m]))'), ADS),
    dashboardCase('MetricsQL with an unclosed bracket', 'metricsql', (d) => (d.panels[4].targets[0].expr += ')'), SERVERS),
    ['two dashboards with one uid', 'unique', (copy) => copy.editJson(ADS, (d) => (d.uid = 'panecast-games'))],
    // The internals dashboard reads what VictoriaMetrics scrapes from the backend's GET /metrics.
    dashboardCase('a scraped series /metrics does not expose', 'metric', (d) => (d.panels[0].targets[0].expr = 'sum(rate(panecast_collector_event_accepted_total{job="panecast"}[1m]))'), INTERNALS),
    dashboardCase('a Node series prom-client does not expose', 'metric', (d) => (d.panels[6].targets[0].expr = 'rate(process_cpu_total{job="panecast"}[1m])'), INTERNALS),
    dashboardCase('a history series mixed into a scraped query', 'metric', (d) => (d.panels[0].targets[0].expr = 'sum(rate(panecast_collector_events_accepted_total[1m])) / sum(panecast_events_count{window="1s"})'), INTERNALS),
    dashboardCase('a label the scraped series lacks', 'metricsql', (d) => (d.panels[1].targets[0].expr = 'max(panecast_consumer_lag_records{job="panecast", partition="0"})'), INTERNALS),
    dashboardCase('grouping scraped series by a label they lack', 'metricsql', (d) => (d.panels[4].targets[0].expr = 'sum by (metric) (panecast_live_connections{job="panecast"})'), INTERNALS),
    dashboardCase('a job the scrape config does not define', 'scrape', (d) => (d.panels[1].targets[0].expr = 'max(panecast_consumer_lag_records{job="backend"})'), INTERNALS),
    ['a scrape config that is not YAML', 'parse', (copy) => copy.edit(SCRAPE, replaceOnce('scrape_configs:', 'scrape_configs: ['))],
    ['a scrape key VictoriaMetrics refuses at start-up', 'scrape', (copy) => copy.edit(SCRAPE, replaceOnce('    metrics_path: /metrics\n', '    metrics_path: /metrics\n    scrape_every: 10s\n'))],
    ['a scrape job without targets', 'scrape', (copy) => copy.edit(SCRAPE, replaceOnce('      - targets: ["backend:8080"]\n', ''))],
    ['a scrape interval that is no duration', 'scrape', (copy) => copy.edit(SCRAPE, replaceOnce('scrape_interval: 10s', 'scrape_interval: ten'))],
    ['basic auth where the backend takes a bearer key', 'scrape', (copy) => copy.edit(SCRAPE, replaceOnce('    authorization:\n', '    authorization:\n      type: Basic\n'))],
    ['a dashboard job after the scrape job was renamed', 'scrape', (copy) => copy.edit(SCRAPE, replaceOnce('job_name: panecast', 'job_name: backend'))],
  ];

  it.each(cases)('%s → %s', (_title, code, change) => {
    const issues = issuesAfter(change);
    expect(issues.map((issue) => issue.check)).toContain(code);
  });

  it('an invalid metric definition stops the check with the backend validator\'s own error', () => {
    expect(() =>
      issuesAfter((copy) => copy.edit('backend/metrics/games.yaml', replaceOnce('distinctOf: player_id', 'distinctOf: 9player'))),
    ).toThrow(/games\.yaml: metric "active_players": field "distinctOf"/);
  });
});
