/**
 * Panecast's own figures as Prometheus families: every one is read, at
 * scrape time, from the same objects `GET /v1/stats` serves (the collector's
 * stats, the processor's and the composer's snapshots, the history writer's,
 * the gateway's stats), so nothing here counts anything itself and a figure
 * of `GET /metrics` can never disagree with `/v1/stats`.
 *
 * Names follow Prometheus' conventions: `panecast_<component>_<what>`, the
 * unit last (`_seconds`, `_records`), `_total` on counters only. None ends in
 * a history suffix (`_count`, `_sum`, `_min`, `_max`, `_bucket`,
 * `_distinct`): the same VictoriaMetrics holds the `panecast_<metric>_*`
 * history series, and a name of ours must never read as one of them.
 *
 * Labels only where `/v1/stats` keys a figure: `metric` (a declared metric:
 * as many as the definitions, and filtered to the reader's tenant like
 * `/v1/stats`), `code` (a code of the error catalogue, or a WebSocket close
 * code: live/close-counts.ts bounds those a client sends) and `by` (`client`
 * or `server`, who closed a live connection). No label ever carries an
 * event's type, a dimension value or any other text a client chose.
 */
import type { Collector } from '../collect/collector';
import type { EngineStats } from '../window/engine-results';
import type { HistoryWriter } from '../process/history-writer';
import type { ProcessorStats } from '../process/processor';
import type { LiveComposer } from '../live/composer';
import type { LiveGateway } from '../live/gateway';
import { onlyVisible } from '../http/stats-scope';

/** What the figures are read from: the app's own components (structurally, so tests can hand in plain objects). */
export interface FigureSources {
  readonly mode: string;
  readonly instanceId: string;
  readonly collector: { readonly stats: Collector['stats'] };
  readonly processor: { snapshot(): ProcessorStats; engines(): ReadonlyArray<{ stats(): EngineStats }> };
  readonly composer: { snapshot(): ReturnType<LiveComposer['snapshot']> };
  readonly history: { snapshot(): ReturnType<HistoryWriter['snapshot']> };
  readonly gateway: { stats(): ReturnType<LiveGateway['stats']> };
  /** Wall clock, epoch ms: the watermark's lag is measured against it. */
  readonly clock: () => number;
}

/** The metric names a reader may see (http/stats-scope.ts); undefined: every one. */
export type Visible = ReadonlySet<string> | undefined;

export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: 'counter' | 'gauge';
  readonly labels: readonly string[];
  /** The samples at this scrape; none: the family is listed without a sample (e.g. no watermark yet). */
  read(sources: FigureSources, visible: Visible): readonly Sample[];
}

const counter = (name: string, help: string, value: (sources: FigureSources) => number): Family => ({
  name,
  help,
  kind: 'counter',
  labels: [],
  read: (sources) => [{ value: value(sources) }],
});

const gauge = (name: string, help: string, value: (sources: FigureSources) => number | null): Family => ({
  name,
  help,
  kind: 'gauge',
  labels: [],
  read: (sources) => {
    const now = value(sources);
    return now === null ? [] : [{ value: now }];
  },
});

/**
 * Per-metric figures of the engines (one per partition this process owns),
 * summed per metric over them. An engine's counts begin when its partition
 * is assigned and leave with it, so these are gauges, not counters: a
 * rebalance lowers them, which a counter's rate() would read as a reset.
 */
function perEngineMetric(sources: FigureSources, visible: Visible, pick: (figures: EngineStats['metrics'][string]) => Iterable<[labels: Record<string, string>, value: number]>): Sample[] {
  const sums = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const engine of sources.processor.engines()) {
    for (const [metric, figures] of Object.entries(onlyVisible(engine.stats().metrics, visible))) {
      for (const [labels, value] of pick(figures)) {
        const all = { metric, ...labels };
        const key = JSON.stringify(all);
        const sum = sums.get(key);
        if (sum === undefined) {
          sums.set(key, { labels: all, value });
        } else {
          sum.value += value;
        }
      }
    }
  }
  return [...sums.values()];
}

/** A figure `/v1/stats` keeps as code → count: one sample per code seen so far. */
const byCode = (name: string, help: string, counts: (sources: FigureSources) => Readonly<Partial<Record<string, number>>>): Family => ({
  name,
  help,
  kind: 'counter',
  labels: ['code'],
  read: (sources) => Object.entries(counts(sources)).map(([code, value]) => ({ labels: { code }, value: value ?? 0 })),
});

const collector = (sources: FigureSources) => sources.collector.stats;
const processor = (sources: FigureSources) => sources.processor.snapshot();
const composer = (sources: FigureSources) => sources.composer.snapshot();
const history = (sources: FigureSources) => sources.history.snapshot();
const live = (sources: FigureSources) => sources.gateway.stats();

/** Every family of `GET /metrics` besides Node's process figures, in exposition order. */
export const FAMILIES: readonly Family[] = [
  {
    name: 'panecast_instance_info',
    help: 'This process: its mode (embedded or services) and PANECAST_INSTANCE_ID; always 1.',
    kind: 'gauge',
    labels: ['mode', 'instance_id'],
    read: (sources) => [{ labels: { mode: sources.mode, instance_id: sources.instanceId }, value: 1 }],
  },
  counter('panecast_collector_events_accepted_total', 'Events the collector accepted: answered 202 once the log acknowledged them (/v1/stats collector.accepted).', (s) => collector(s).accepted),
  counter('panecast_collector_batches_rejected_total', 'Request batches the collector refused once read: malformed, invalid, too many events, log unavailable (collector.rejectedBatches). Refusals before the body (keys, media type, size) are not counted: panecast_collector_requests_refused_total counts every refusal.', (s) => collector(s).rejectedBatches),
  byCode('panecast_collector_requests_refused_total', 'Answers of POST /v1/events other than 202, by the catalogue code answered, before the body was read or after (collector.refusedByCode); PANECAST_ERR_REQUEST_TIMEOUT: Node answered 408.', (s) => collector(s).refusedByCode),
  counter('panecast_collector_batches_clock_corrected_total', 'Accepted batches whose event times were moved by the sent-at header (collector.clockCorrectedBatches).', (s) => collector(s).clockCorrectedBatches),
  counter('panecast_processor_events_consumed_total', 'Events the processor applied to its engines (processor.consumed).', (s) => processor(s).consumed),
  counter('panecast_processor_records_duplicate_total', "Records skipped as at or below their partition's applied offset, redelivered after a restart or a rebalance (processor.duplicatesSkipped).", (s) => processor(s).duplicatesSkipped),
  counter('panecast_processor_events_retried_total', 'Events of a retried collector batch dropped because their partition holds its first attempt (processor.retriedEvents).', (s) => processor(s).retriedEvents),
  counter('panecast_processor_events_undecodable_total', 'Events in the log that could not be decoded (processor.undecodable).', (s) => processor(s).undecodable),
  counter('panecast_processor_events_too_late_total', 'Events past the allowed lateness or below the history seal, written to the late topic (processor.tooLate).', (s) => processor(s).tooLate),
  counter('panecast_processor_commits_total', "Batches committed to the pane store with their partition's offset (processor.commits).", (s) => processor(s).commits),
  counter('panecast_processor_commits_failed_total', 'Commits that failed or were refused for good; the batch is redelivered (processor.failedCommits).', (s) => processor(s).failedCommits),
  counter('panecast_processor_batches_rerouted_total', "Batches applied again because the admission ledger refused how they routed new tuples (processor.reroutedBatches).", (s) => processor(s).reroutedBatches),
  counter('panecast_processor_batches_sealed_total', 'Batches applied again because an event of theirs landed in a pane history had read (processor.sealedBatches).', (s) => processor(s).sealedBatches),
  {
    name: 'panecast_processor_events_overflow_total',
    help: "Committed events of a metric sent to its __other__ series, beyond the cardinality cap (processor.overflowEvents); the reader's tenant's metrics only.",
    kind: 'counter',
    labels: ['metric'],
    read: (sources, visible) => Object.entries(onlyVisible(processor(sources).overflowEvents, visible)).map(([metric, value]) => ({ labels: { metric }, value })),
  },
  gauge('panecast_processor_partitions', 'Log partitions this processor owns now (processor.partitions).', (s) => processor(s).partitions.length),
  {
    name: 'panecast_engine_series',
    help: "Series of a metric held by the engines of the partitions this process owns, summed over them (engines[].metrics.series); the reader's tenant's metrics only.",
    kind: 'gauge',
    labels: ['metric'],
    read: (sources, visible) => perEngineMetric(sources, visible, (figures) => [[{}, figures.series]]),
  },
  {
    name: 'panecast_engine_events_skipped',
    help: "Events left out of a metric, by code (measure or distinctOf field missing or unusable), counted by the engines of the partitions this process owns since they were assigned (engines[].metrics.rejectedByCode): falls when a partition leaves.",
    kind: 'gauge',
    labels: ['metric', 'code'],
    read: (sources, visible) => perEngineMetric(sources, visible, (figures) => Object.entries(figures.rejectedByCode).map(([code, n]): [Record<string, string>, number] => [{ code }, n ?? 0])),
  },
  gauge('panecast_composer_leader', 'Whether this process holds the composer lease: 1 leader, 0 standby (composer.leader).', (s) => (composer(s).leader ? 1 : 0)),
  gauge('panecast_composer_queries', 'Queries the composer composes: the pinned ones and those gateways watch (composer.queries).', (s) => composer(s).queries),
  gauge('panecast_composer_partitions', "Partitions whose panes the composer mirrors (composer.partitions).", (s) => composer(s).partitions),
  gauge('panecast_composer_watermark_timestamp_seconds', "The composer's watermark over all partitions, epoch seconds (composer.watermark); absent until it has one.", (s) => {
    const watermark = composer(s).watermark;
    return watermark === null ? null : watermark / 1000;
  }),
  gauge('panecast_composer_watermark_lag_seconds', "Wall clock minus the composer's watermark: how far final windows trail real time (out-of-orderness included; negative while events run ahead of the clock); absent until it has one.", (s) => {
    const watermark = composer(s).watermark;
    return watermark === null ? null : (s.clock() - watermark) / 1000;
  }),
  counter('panecast_composer_frames_published_total', 'Frames the composer published on the live bus: updates, finals and corrections (composer.published).', (s) => composer(s).published),
  counter('panecast_history_samples_written_total', 'Samples the history writer wrote to VictoriaMetrics (history.samplesWritten).', (s) => history(s).samplesWritten),
  counter('panecast_history_panes_held_total', 'Panes kept past their retention while history could not be written or lagged (history.panesHeld).', (s) => history(s).panesHeld),
  counter('panecast_history_panes_past_retention_total', 'Panes that outlived their retention before history took them: history may be incomplete there (history.panesPastRetention).', (s) => history(s).panesPastRetention),
  gauge('panecast_consumer_lag_records', "Records in the log no processor has applied yet, over all partitions, as of the history writer's last round (history.waitingRecords); absent in a process without the history worker, so that no process reports a lag it does not measure.", (s) => history(s).waitingRecords),
  gauge('panecast_live_connections', 'Live WebSocket connections of this gateway (live.connections).', (s) => live(s).connections),
  gauge('panecast_live_connections_backlogged', 'Connections over their write budget, getting coalesced frames (live.backlogged).', (s) => live(s).backlogged),
  gauge('panecast_live_queries', "Queries this gateway's clients watch (live.queries).", (s) => live(s).queries),
  gauge('panecast_live_token_slots', 'Connection-ledger slots this gateway holds: one per connection while auth is on (live.tokenSlots).', (s) => live(s).tokenSlots),
  counter('panecast_live_origin_refusals_total', 'WebSocket upgrades refused for an Origin not on PANECAST_ALLOWED_ORIGINS (live.refusedOrigins).', (s) => live(s).refusedOrigins),
  {
    name: 'panecast_live_connections_closed_total',
    help: 'Live connections ended, by WebSocket close code and by the side that closed: server (this gateway, with the code it sent; 1006: no pong to two pings) or client (the client, or 1006: the connection dropped) (live.closesByCode).',
    kind: 'counter',
    labels: ['code', 'by'],
    read: (sources) => Object.entries(live(sources).closesByCode).flatMap(([code, sides]) => Object.entries(sides).map(([by, value]) => ({ labels: { code, by }, value: value ?? 0 }))),
  },
  byCode('panecast_live_error_frames_total', 'Error frames the gateway sent its clients, by catalogue code (live.errorFramesByCode).', (s) => live(s).errorFramesByCode),
  counter('panecast_live_gaps_repaired_total', 'Sequence gaps on the bus this gateway filled from the replay ring (live.gapsRepaired).', (s) => live(s).gapsRepaired),
  counter('panecast_live_resyncs_total', 'Times the watchers of a query got a fresh snapshot: a gap the replay ring could not fill, or a new numbering (live.resyncs).', (s) => live(s).resyncs),
  counter('panecast_live_batches_deferred_total', "Frame batches that waited past a turn's delivery budget (live.deferredBatches).", (s) => live(s).deferredBatches),
  counter('panecast_live_frames_conflated_total', 'Frames superseded by a newer value of the same series and window while their batch waited: never sent (live.conflatedFrames).', (s) => live(s).conflatedFrames),
];
