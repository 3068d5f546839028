/**
 * The exposition on plain data: Prometheus' naming rules over every family,
 * no family that could read as a history series, figures absent (not 0)
 * while they do not exist, per-metric figures summed over the engines and
 * scoped to the reader's tenant.
 */
import type { EngineStats } from '../window/engine-results';
import { parsePrometheusText } from '../../test/prometheus-text';
import { FAMILIES, type FigureSources } from './figures';
import { SelfMetrics } from './exposition';

const HISTORY_SUFFIX = /_(count|sum|min|max|bucket|distinct)$/;
/** The labels /v1/stats keys figures by, and this process's identity. */
const BOUNDED_LABELS = new Set(['metric', 'code', 'by', 'mode', 'instance_id']);

describe('every family', () => {
  it.each(FAMILIES.map((family) => [family.name, family] as const))('%s follows the naming rules', (_name, family) => {
    expect(family.name).toMatch(/^panecast_[a-z][a-z0-9_]*$/);
    expect(family.name).not.toMatch(HISTORY_SUFFIX);
    expect(family.name.endsWith('_total')).toBe(family.kind === 'counter');
    expect(family.labels.filter((label) => !BOUNDED_LABELS.has(label))).toEqual([]);
    expect(family.help.length).toBeGreaterThan(20);
  });

  it('has a name of its own', () => {
    expect(new Set(FAMILIES.map((family) => family.name)).size).toBe(FAMILIES.length);
  });
});

function engine(metrics: EngineStats['metrics']): { stats(): EngineStats } {
  return { stats: () => ({ accepted: 0, corrections: 0, tooLate: 0, unmatched: 0, rejected: 0, rejectedByCode: {}, metrics }) };
}

function sources(watermark: number | null): FigureSources {
  const zero = { consumed: 0, duplicatesSkipped: 0, retriedEvents: 0, undecodable: 0, tooLate: 0, commits: 0, failedCommits: 0, reroutedBatches: 0, sealedBatches: 0 };
  return {
    mode: 'services',
    instanceId: 'test-1',
    collector: { stats: { accepted: 7, rejectedBatches: 1, refusedByCode: { PANECAST_ERR_API_KEY_MISSING: 3, PANECAST_ERR_MALFORMED_JSON: 1 }, clockCorrectedBatches: 0 } },
    processor: {
      snapshot: () => ({ ...zero, overflowEvents: { acme__clicks: 4, events: 2 }, partitions: [0, 1] }),
      engines: () => [
        engine({ events: { series: 3, overflowEvents: 0, rejectedByCode: {} }, acme__clicks: { series: 1, overflowEvents: 0, rejectedByCode: { PANECAST_ERR_MEASURE_MISSING: 2 } } }),
        engine({ events: { series: 5, overflowEvents: 0, rejectedByCode: {} }, acme__clicks: { series: 2, overflowEvents: 0, rejectedByCode: { PANECAST_ERR_MEASURE_MISSING: 1 } } }),
      ],
    },
    composer: { snapshot: () => ({ leader: true, queries: 3, partitions: 2, watermark, published: 11 }) },
    history: { snapshot: () => ({ samplesWritten: 0, panesHeld: 0, panesPastRetention: 0, waitingRecords: 42 }) },
    gateway: {
      stats: () => ({
        connections: 2,
        queries: 1,
        backlogged: 0,
        refusedOrigins: 0,
        gapsRepaired: 0,
        resyncs: 0,
        tokenSlots: 2,
        deferredBatches: 0,
        conflatedFrames: 0,
        closesByCode: { '1000': { client: 4, server: 1 }, '4001': { server: 2 } },
        errorFramesByCode: { PANECAST_ERR_SUB_UNKNOWN: 5 },
      }),
    },
    clock: () => 1_700_000_010_000,
  };
}

const DEFINITIONS = [{ name: 'events' }, { name: 'acme__clicks', tenant: 'acme' }];

it('leaves the watermark out until there is one, then gives its lag against the clock', async () => {
  const before = parsePrometheusText((await new SelfMetrics(sources(null), DEFINITIONS).expose(undefined)).text);
  expect(before.types.get('panecast_composer_watermark_lag_seconds')).toBe('gauge');
  expect(before.find('panecast_composer_watermark_lag_seconds')).toEqual([]);
  expect(before.find('panecast_composer_watermark_timestamp_seconds')).toEqual([]);
  const after = parsePrometheusText((await new SelfMetrics(sources(1_700_000_007_500), DEFINITIONS).expose(undefined)).text);
  expect(after.value('panecast_composer_watermark_lag_seconds')).toBe(2.5);
  expect(after.value('panecast_composer_watermark_timestamp_seconds')).toBe(1_700_000_007.5);
  expect(after.value('panecast_consumer_lag_records')).toBe(42);
  expect(after.value('panecast_instance_info', { mode: 'services', instance_id: 'test-1' })).toBe(1);
});

it("sums per-metric figures over the engines and shows a reader only its tenant's metrics", async () => {
  const metrics = new SelfMetrics(sources(null), DEFINITIONS);
  const open = parsePrometheusText((await metrics.expose(undefined)).text);
  expect(open.value('panecast_engine_series', { metric: 'events' })).toBe(8);
  expect(open.value('panecast_engine_events_skipped', { metric: 'acme__clicks', code: 'PANECAST_ERR_MEASURE_MISSING' })).toBe(3);
  expect(open.find('panecast_processor_events_overflow_total').map((s) => s.labels.metric).sort()).toEqual(['acme__clicks', 'events']);

  const acme = parsePrometheusText((await metrics.expose({ tenant: 'acme', subject: 'key-acme' })).text);
  const named = new Set(acme.samples.flatMap((sample) => (sample.labels.metric === undefined ? [] : [sample.labels.metric])));
  expect(named).toEqual(new Set(['acme__clicks']));
  // A reader of another tenant after it: its own registry, never acme's figures.
  const other = parsePrometheusText((await metrics.expose({ tenant: 'default', subject: 'key-default' })).text);
  expect(other.find('panecast_engine_series').map((s) => s.labels.metric)).toEqual(['events']);
  expect(other.value('panecast_collector_events_accepted_total')).toBe(7);
});

it('gives the refusal and close counts one sample per code (and side) seen', async () => {
  const scraped = parsePrometheusText((await new SelfMetrics(sources(null), DEFINITIONS).expose(undefined)).text);
  expect(scraped.find('panecast_collector_requests_refused_total').map((s) => [s.labels.code, s.value])).toEqual([
    ['PANECAST_ERR_API_KEY_MISSING', 3],
    ['PANECAST_ERR_MALFORMED_JSON', 1],
  ]);
  expect(scraped.find('panecast_live_connections_closed_total').map((s) => [s.labels.code, s.labels.by, s.value])).toEqual([
    ['1000', 'client', 4],
    ['1000', 'server', 1],
    ['4001', 'server', 2],
  ]);
  expect(scraped.value('panecast_live_error_frames_total', { code: 'PANECAST_ERR_SUB_UNKNOWN' })).toBe(5);
  expect(scraped.types.get('panecast_live_error_frames_total')).toBe('counter');
});
