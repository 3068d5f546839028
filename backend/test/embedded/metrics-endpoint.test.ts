/**
 * GET /metrics with reads open (the embedded default): Prometheus' text
 * format, Node's process figures, and every Panecast figure equal to the
 * one /v1/stats serves, moving with the traffic posted here: events
 * accepted, consumed, too late, over a cardinality cap, missing a measure,
 * a refused batch (by its code), a live connection and how it closed, the
 * watermark's lag.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app';
import type { ProcessorStats } from '../../src/process/processor';
import { parsePrometheusText, type Scrape } from '../prometheus-text';
import { openLiveClient, post, startQuietApp, waitFor } from '../support';

let app: App;
let metricsDir: string;

beforeAll(async () => {
  metricsDir = mkdtempSync(join(tmpdir(), 'panecast-metrics-endpoint-'));
  copyFileSync(join(__dirname, '..', '..', 'metrics', 'events.yaml'), join(metricsDir, 'events.yaml'));
  writeFileSync(
    join(metricsDir, 'probes.yaml'),
    [
      'metrics:',
      '  - name: capped_users',
      '    description: at most two users, the rest overflow',
      '    match: { type: capped }',
      '    dimensions: [user]',
      '    cardinalityCap: 2',
      '  - name: purchase_amount',
      '    description: amounts; an event without one is skipped by code',
      '    match: { type: purchase }',
      '    measure: amount',
      '',
    ].join('\n'),
  );
  app = await startQuietApp({
    PANECAST_OUT_OF_ORDERNESS_MS: '200',
    PANECAST_IDLE_MS: '300',
    PANECAST_ALLOWED_LATENESS_MS: '300',
    PANECAST_METRICS_DIR: metricsDir,
  });
});

afterAll(async () => {
  await app.stop();
  rmSync(metricsDir, { recursive: true, force: true });
});

interface Stats {
  collector: { accepted: number; rejectedBatches: number; refusedByCode: Record<string, number>; clockCorrectedBatches: number };
  processor: ProcessorStats;
  composer: { leader: boolean; queries: number; partitions: number; watermark: number | null; published: number };
  history: Record<string, number | null>;
  engines: Array<{ metrics: Record<string, { series: number; rejectedByCode: Record<string, number> }> }>;
  live: { closesByCode: Record<string, Record<string, number>>; errorFramesByCode: Record<string, number> } & Record<string, unknown>;
}

/** Each label-less Panecast series and the /v1/stats figure it must equal, written out here, apart from the code under test. */
const SAME_AS_STATS: ReadonlyArray<[series: string, figure: (stats: Stats) => number]> = [
  ['panecast_collector_events_accepted_total', (s) => s.collector.accepted],
  ['panecast_collector_batches_rejected_total', (s) => s.collector.rejectedBatches],
  ['panecast_collector_batches_clock_corrected_total', (s) => s.collector.clockCorrectedBatches],
  ['panecast_processor_events_consumed_total', (s) => s.processor.consumed],
  ['panecast_processor_records_duplicate_total', (s) => s.processor.duplicatesSkipped],
  ['panecast_processor_events_retried_total', (s) => s.processor.retriedEvents],
  ['panecast_processor_events_undecodable_total', (s) => s.processor.undecodable],
  ['panecast_processor_events_too_late_total', (s) => s.processor.tooLate],
  ['panecast_processor_commits_total', (s) => s.processor.commits],
  ['panecast_processor_commits_failed_total', (s) => s.processor.failedCommits],
  ['panecast_processor_batches_rerouted_total', (s) => s.processor.reroutedBatches],
  ['panecast_processor_batches_sealed_total', (s) => s.processor.sealedBatches],
  ['panecast_processor_partitions', (s) => s.processor.partitions.length],
  ['panecast_composer_leader', (s) => (s.composer.leader ? 1 : 0)],
  ['panecast_composer_queries', (s) => s.composer.queries],
  ['panecast_composer_partitions', (s) => s.composer.partitions],
  ['panecast_composer_frames_published_total', (s) => s.composer.published],
  ['panecast_history_samples_written_total', (s) => s.history.samplesWritten as number],
  ['panecast_history_panes_held_total', (s) => s.history.panesHeld as number],
  ['panecast_history_panes_past_retention_total', (s) => s.history.panesPastRetention as number],
  ['panecast_consumer_lag_records', (s) => s.history.waitingRecords as number],
  ['panecast_live_connections', (s) => s.live.connections as number],
  ['panecast_live_connections_backlogged', (s) => s.live.backlogged as number],
  ['panecast_live_queries', (s) => s.live.queries as number],
  ['panecast_live_token_slots', (s) => s.live.tokenSlots as number],
  ['panecast_live_origin_refusals_total', (s) => s.live.refusedOrigins as number],
  ['panecast_live_gaps_repaired_total', (s) => s.live.gapsRepaired as number],
  ['panecast_live_resyncs_total', (s) => s.live.resyncs as number],
  ['panecast_live_batches_deferred_total', (s) => s.live.deferredBatches as number],
  ['panecast_live_frames_conflated_total', (s) => s.live.conflatedFrames as number],
];

async function stats(): Promise<Stats> {
  return (await (await fetch(`${app.url}/v1/stats`)).json()) as Stats;
}

async function scrape(): Promise<Scrape> {
  const response = await fetch(`${app.url}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

/**
 * A scrape between two equal /v1/stats answers: the figures did not move
 * meanwhile, so the scrape must show exactly them (the composer ticks every
 * 250 ms, so an unlucky pair is simply taken again).
 */
async function scrapeAtRest(): Promise<{ stats: Stats; scrape: Scrape; before: number; after: number }> {
  return waitFor(async () => {
    const first = await stats();
    const before = Date.now();
    const scraped = await scrape();
    const after = Date.now();
    const second = await stats();
    // The consumer lag exists once the history writer's first round (every second) has measured it.
    const measured = first.history.waitingRecords !== null;
    return measured && JSON.stringify(first) === JSON.stringify(second) ? { stats: first, scrape: scraped, before, after } : undefined;
  }, 'a scrape while /v1/stats stood still');
}

function expectSameAsStats(at: { stats: Stats; scrape: Scrape }): void {
  for (const [series, figure] of SAME_AS_STATS) {
    expect([series, at.scrape.value(series)]).toEqual([series, figure(at.stats)]);
  }
  // Per metric: summed over the engines, as the figures describe.
  const series = new Map<string, number>();
  const skipped = new Map<string, number>();
  for (const engine of at.stats.engines) {
    for (const [metric, figures] of Object.entries(engine.metrics)) {
      series.set(metric, (series.get(metric) ?? 0) + figures.series);
      for (const [code, n] of Object.entries(figures.rejectedByCode)) {
        skipped.set(`${metric} ${code}`, (skipped.get(`${metric} ${code}`) ?? 0) + n);
      }
    }
  }
  expect(new Map(at.scrape.find('panecast_engine_series').map((s) => [s.labels.metric as string, s.value]))).toEqual(series);
  expect(new Map(at.scrape.find('panecast_engine_events_skipped').map((s) => [`${s.labels.metric} ${s.labels.code}`, s.value]))).toEqual(skipped);
  expect(Object.fromEntries(at.scrape.find('panecast_processor_events_overflow_total').map((s) => [s.labels.metric, s.value]))).toEqual(at.stats.processor.overflowEvents);
  // By code (and side): one sample per key of /v1/stats, no more.
  const byCode = (name: string) => Object.fromEntries(at.scrape.find(name).map((s) => [s.labels.code, s.value]));
  expect(byCode('panecast_collector_requests_refused_total')).toEqual(at.stats.collector.refusedByCode);
  expect(byCode('panecast_live_error_frames_total')).toEqual(at.stats.live.errorFramesByCode);
  const closes: Record<string, Record<string, number>> = {};
  for (const sample of at.scrape.find('panecast_live_connections_closed_total')) {
    (closes[sample.labels.code as string] ??= {})[sample.labels.by as string] = sample.value;
  }
  expect(closes).toEqual(at.stats.live.closesByCode);
}

it('answers in the Prometheus text format, with Node process figures beside Panecast figures', async () => {
  const response = await fetch(`${app.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  const scraped = parsePrometheusText(await response.text());
  expect(scraped.types.get('process_cpu_seconds_total')).toBe('counter');
  expect(scraped.value('process_resident_memory_bytes')).toBeGreaterThan(1e6);
  expect(scraped.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(1e6);
  expect(scraped.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  expect(scraped.value('panecast_instance_info', { mode: 'embedded' })).toBe(1);
  // Every counter of ours, and only counters, ends in _total.
  const ours = [...scraped.types].filter(([name]) => name.startsWith('panecast_'));
  expect(ours.length).toBeGreaterThan(SAME_AS_STATS.length);
  for (const [name, type] of ours) {
    expect([name, name.endsWith('_total')]).toEqual([name, type === 'counter']);
  }
  // Every label-less figure is checked against /v1/stats below.
  const labelled = new Set([
    'panecast_instance_info',
    'panecast_processor_events_overflow_total',
    'panecast_engine_series',
    'panecast_engine_events_skipped',
    'panecast_collector_requests_refused_total',
    'panecast_live_connections_closed_total',
    'panecast_live_error_frames_total',
  ]);
  const timed = new Set(['panecast_composer_watermark_timestamp_seconds', 'panecast_composer_watermark_lag_seconds']);
  expect(ours.map(([name]) => name).filter((name) => !labelled.has(name) && !timed.has(name)).sort()).toEqual(SAME_AS_STATS.map(([name]) => name).sort());
});

it('equals /v1/stats figure for figure, and moves with the traffic', async () => {
  const start = await scrapeAtRest();
  expectSameAsStats(start);
  const now = Date.now();
  const events = [
    ...Array.from({ length: 5 }, (_, i) => ({ type: 'capped', ts: now, user: `u${i}` })),
    { type: 'purchase', ts: now, amount: 9.5 },
    { type: 'purchase', ts: now },
  ];
  expect((await post(app.url, JSON.stringify(events))).status).toBe(202);
  // Once the watermark of capped's partition is past `now`, an event a minute older is too late.
  await waitFor(async () => ((await stats()).processor.consumed === start.stats.processor.consumed + events.length ? true : undefined), 'the events consumed');
  expect((await post(app.url, JSON.stringify([{ type: 'capped', ts: now - 60_000, user: 'u0' }]))).status).toBe(202);
  expect((await post(app.url, '[{"type": "capped",')).status).toBe(400);
  await waitFor(async () => ((await stats()).processor.tooLate === start.stats.processor.tooLate + 1 ? true : undefined), 'the late event counted');
  // The composer computes its watermark in its own rounds: on a busy machine the figures can stand
  // still (below) before its first round after these commits.
  await waitFor(async () => ((await stats()).composer.watermark !== null ? true : undefined), 'the composer\u2019s watermark');

  const end = await scrapeAtRest();
  expectSameAsStats(end);
  const moved = (series: string, labels?: Record<string, string>) => end.scrape.value(series, labels) - (start.scrape.find(series, labels)[0]?.value ?? 0);
  expect(moved('panecast_collector_events_accepted_total')).toBe(events.length + 1);
  expect(moved('panecast_collector_batches_rejected_total')).toBe(1);
  expect(moved('panecast_collector_requests_refused_total', { code: 'PANECAST_ERR_MALFORMED_JSON' })).toBe(1);
  expect(end.scrape.find('panecast_collector_requests_refused_total').reduce((sum, s) => sum + s.value, 0) - start.scrape.find('panecast_collector_requests_refused_total').reduce((sum, s) => sum + s.value, 0)).toBe(1);
  expect(moved('panecast_processor_events_consumed_total')).toBe(events.length + 1);
  expect(moved('panecast_processor_events_too_late_total')).toBe(1);
  expect(moved('panecast_processor_commits_total')).toBeGreaterThanOrEqual(1);
  // Two users admitted under the cap; the other three went to __other__.
  expect(end.scrape.value('panecast_processor_events_overflow_total', { metric: 'capped_users' })).toBe(3);
  expect(end.scrape.value('panecast_engine_events_skipped', { metric: 'purchase_amount', code: 'PANECAST_ERR_MEASURE_MISSING' })).toBe(1);
  expect(end.scrape.value('panecast_engine_series', { metric: 'capped_users' })).toBe(3);

  // The watermark and its lag, against the clock read around the scrape.
  const watermark = end.stats.composer.watermark as number;
  expect(watermark).not.toBeNull();
  expect(end.scrape.value('panecast_composer_watermark_timestamp_seconds')).toBe(watermark / 1000);
  const lag = end.scrape.value('panecast_composer_watermark_lag_seconds');
  expect(lag).toBeGreaterThanOrEqual((end.before - watermark) / 1000);
  expect(lag).toBeLessThanOrEqual((end.after - watermark) / 1000);
  expect(lag).toBeLessThan(10);
});

it('counts live connections, and how they closed, as the gateway does', async () => {
  const start = await scrape();
  const before = start.value('panecast_live_connections');
  // A close frame without a code: the gateway sees 1005 (no status), from the client.
  const closedNoStatus = (scraped: Scrape) => scraped.find('panecast_live_connections_closed_total', { code: '1005', by: 'client' })[0]?.value ?? 0;
  const client = await openLiveClient(app.url);
  try {
    expect((await scrape()).value('panecast_live_connections')).toBe(before + 1);
    expect((await scrape()).value('panecast_live_queries')).toBeGreaterThanOrEqual(1);
  } finally {
    client.close();
  }
  await waitFor(async () => ((await scrape()).value('panecast_live_connections') === before ? true : undefined), 'the connection gone');
  const end = await scrapeAtRest();
  expectSameAsStats(end);
  expect(closedNoStatus(end.scrape) - closedNoStatus(start)).toBe(1);
});

it('refuses other methods with the catalogue code', async () => {
  const response = await fetch(`${app.url}/metrics`, { method: 'POST', body: '' });
  const body = (await response.json()) as { error: { code: string } };
  expect([response.status, body.error.code]).toEqual([405, 'PANECAST_ERR_METHOD_NOT_ALLOWED']);
  // HEAD is answered like GET, without a body.
  const head = await fetch(`${app.url}/metrics`, { method: 'HEAD' });
  expect([head.status, await head.text()]).toEqual([200, '']);
});
