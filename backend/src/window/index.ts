/**
 * The pure windowing core, as the processor and the gateway use it:
 *
 *   definitions = combineDefinitions(files.map(f => parseMetricDefinitions(YAML.parse(text), f)))
 *   engine = new WindowEngine(definitions, options)          // one per owned partition
 *   engine.applyBatch(events, watermarks.advance(now))        // tooLate → late-events topic
 *   engine.maintain(watermark); write(engine.drainDirty(), offset)   // atomically
 *   query = compileQuery(request, definitions)               // coded errors
 *   compose([store…], query, range, watermark)               // history / snapshot
 *   tail = new LiveTail(id, query); tail.invalidate(engine.drainCorrections(tails)); tail.poll([store…], watermark)
 *
 * No I/O library is imported anywhere under window/.
 */
export { AdmissionGate, type AdmissionRequest, type GateDecision, type LedgerView } from './admission';
export { DEFAULT_PANE_MS, SlidingEventTimeWindows, TumblingEventTimeWindows, windowsOf, type WindowAssigner } from './assigners';
export { compose, DEFAULT_MAX_WINDOWS, type ComposeOptions, type GroupResult, type WindowPoint } from './compose';
export { WindowEngine } from './engine';
export type { ApplyOutcome, BatchResult, Correction, EngineStats, Subscription } from './engine-results';
export { LiveTail, type LiveTailOptions, type LiveUpdate } from './live-tail';
export {
  combineDefinitions,
  MetricDefinitionError,
  parseMetricDefinitions,
  servableAggregates,
  TYPE_DIMENSION,
  type MetricDefinition,
} from './metric-definition';
export { PaneStore, type LoadReport } from './pane-store';
export type { StoredPartial } from './metric-panes';
export {
  DEFAULT_ALLOWED_LATENESS_MS,
  DEFAULT_COARSE_PANE_MS,
  DEFAULT_COARSE_RETENTION_MS,
  DEFAULT_FINE_RETENTION_MS,
  DEFAULT_STORE_OPTIONS,
  resolveStoreOptions,
  type StoreOptions,
} from './store-options';
export { compileQuery, type CompiledQuery, type WindowQuery } from './query';
export { decodeSeriesKey, encodeSeriesKey, MISSING, OTHER } from './series';
export { PartitionWatermarks, watermarkOver, type PartitionActivity, type WatermarkOptions } from './watermark';
