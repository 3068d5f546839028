/**
 * A partition's in-memory state while this processor owns it, and one
 * application of a batch to it: records decoded one at a time, retried
 * collector batches dropped, too-late events set aside for the late-events
 * topic. The processor (processor.ts) commits what an application found, or
 * drops the state and applies the batch again.
 */
import { LATE_SOURCE_HEADER, recordText, type OutgoingRecord, type RecordBatch } from '../buffer/event-log';
import { encodeEvent } from '../collect/event';
import { decodeRecordEvents } from '../collect/event-records';
import type { BatchDedup } from './batch-dedup';
import type { WindowEngine } from '../window';

export interface PartitionWork {
  readonly engine: WindowEngine;
  /** Fencing epoch of our load; the store refuses commits once a newer owner loaded. */
  readonly epoch: number;
  /** Last offset whose effect is in the engine (and, after a commit, in the store). */
  applied: number;
  /** The partition's event-time clock (store/pane-state.ts PartitionProgress): the watermark's input. */
  maxEventTime: number;
  /** Newest event time applied, which a sender's fast clock may put ahead of maxEventTime. */
  newestEventTime: number;
  /** The history seal as of the load or the last commit: panes below it are read by history, so events there are too late. */
  historySeal: number;
  /** First attempt of each recent batch; undefined without options.dedup. */
  readonly dedup: BatchDedup | undefined;
}

/** One application of a batch: what it found, counted once the batch is settled. */
export interface BatchRun {
  /** Offset of the last new record (the partition's applied offset when there was none). */
  last: number;
  /** Too-late events, each with its place in the batch (record offset / index in the record). */
  late: Array<{ place: string; record: OutgoingRecord }>;
  consumed: number;
  duplicatesSkipped: number;
  retriedEvents: number;
  undecodable: number;
  /** Per metric, the engine's overflow count before the batch. */
  overflowBefore: Map<string, number>;
}

export function overflowCounts(engine: WindowEngine): Map<string, number> {
  return new Map([...engine.store.metrics()].map((metric) => [metric.definition.name, metric.registry.overflowEvents]));
}

/** A record's key as the late-events topic takes it: none for an empty key. */
function keyText(key: string | Uint8Array): string | undefined {
  const text = recordText(key);
  return text === '' ? undefined : text;
}

/** Feeds the batch's new records to the engine; counts go to the stats only once the batch is settled. */
export function applyBatch(work: PartitionWork, batch: RecordBatch, outOfOrdernessMs: number, allowedLatenessMs: number): BatchRun {
  const run: BatchRun = { last: work.applied, late: [], consumed: 0, duplicatesSkipped: 0, retriedEvents: 0, undecodable: 0, overflowBefore: overflowCounts(work.engine) };
  // The engine's watermark at which a pane below the seal is too late (see processor.ts's header).
  const sealFloor = work.historySeal + allowedLatenessMs;
  work.engine.beginBatch();
  for (const record of batch.records) {
    if (record.offset <= work.applied) {
      run.duplicatesSkipped++;
      continue;
    }
    run.last = record.offset;
    // Text of one record at a time, not of a whole batch up front (as the kafkajs adapter
    // once did): the string is garbage right after JSON.parse and dies young, where a batch
    // of strings held to its end survived scavenges and was copied and promoted.
    // A record holds one event or several of one key (collect/event-records.ts); it is
    // applied whole, so the batch's offset bookkeeping stays per record.
    let index = -1;
    for (const event of decodeRecordEvents(recordText(record.value))) {
      index++;
      if (event === undefined) {
        run.undecodable++;
        continue;
      }
      if (event.origin !== undefined && work.dedup !== undefined && !work.dedup.admit(event.origin, record.offset)) {
        // A retried batch whose first attempt this partition already holds.
        run.retriedEvents++;
        continue;
      }
      run.consumed++;
      // Watermark before this event: a function of the events before it only (and of the seal).
      const outcome = work.engine.apply(event, Math.max(work.maxEventTime - outOfOrdernessMs, sealFloor));
      if (outcome === 'too-late') {
        run.late.push({
          place: `${record.offset}/${index}`,
          record: { key: keyText(record.key), value: encodeEvent(event), timestamp: event.ts, headers: { [LATE_SOURCE_HEADER]: `${batch.partition}/${record.offset}/${index}` } },
        });
      }
      // The clock moves no further than the collector's clock when the event arrived: an event
      // stamped minutes ahead keeps its window but must not make its partition's others late.
      const clock = event.receivedAt !== undefined && event.receivedAt < event.ts ? event.receivedAt : event.ts;
      if (clock > work.maxEventTime) {
        work.maxEventTime = clock;
      }
      if (event.ts > work.newestEventTime) {
        work.newestEventTime = event.ts;
      }
    }
  }
  return run;
}
