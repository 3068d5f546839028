/**
 * Writes every metric's panes to the history store once they can no longer
 * change: when the global watermark (minimum over ALL partitions' committed
 * progress, read from the pane-state store, idle ones with nothing waiting in
 * the log following the wall clock) has passed the pane's end by the allowed
 * lateness. History is thus immutable and exact; the live channel serves the
 * mutable tail. Before reading panes it raises the history seal past them:
 * from then on no commit changes them (a partition back from idleness with
 * an event there finds it too late, processor.ts), so what it reads is what
 * they keep. Partials of every partition are merged (pane-samples.ts), so any
 * process may run the writer: the values and timestamps are deterministic,
 * and a re-write lands on the same points. A cursor in the pane-state store
 * lets a restart resume.
 *
 * Per fine pane (1 s) and full dimension tuple, stamped at the pane's END:
 *   panecast_<m>_count{…,window="1s"}                       every metric
 *   panecast_<m>_sum / _min / _max{…,window="1s"}           metrics with a measure
 *   panecast_<m>_bucket{…,vmrange="<lo>...<hi>",window="1s"} metrics with quantiles (the DDSketch bins)
 *   panecast_<m>_distinct{…,window="1s"|"1m",scope=…}        metrics with distinctOf: per full tuple
 *                                                            (scope="tuple") and for the total
 *                                                            (scope="total", no dimension labels; a
 *                                                            label of its own, because a tuple whose
 *                                                            dimensions are all missing has none either)
 * The MetricsQL for each aggregate over any window is in the README.
 */
import { HISTORY_SEAL, type PaneStateStore } from '../store/pane-state';
import type { History, Sample } from '../store/history';
import { watermarkOver, type MetricDefinition, type PartitionActivity } from '../window';
import type { EventLog } from '../buffer/event-log';
import { groupByPane, PaneSamples } from './pane-samples';

export interface HistoryWriterOptions {
  paneMs: number;
  outOfOrdernessMs: number;
  idleMs: number;
  allowedLatenessMs: number;
  tickMs: number;
  /** Panes written per tick at most, so a catch-up never blocks for long. */
  maxPanesPerTick: number;
  /** Without a cursor, start this far behind the first writable pane. */
  initialLookbackMs: number;
  /** How long the pane store keeps a fine pane after its last commit (fine retention + allowed lateness). */
  retentionMs: number;
  /** While history cannot be written or waits for a stalled partition, panes not written yet are kept this much longer (0: not at all). */
  holdMs: number;
}

const CURSOR = 'history';
/** Panes read, written and marked together within a tick (bounds a catch-up's memory). */
const PANES_PER_SLICE = 10;
/** Samples held before they are written (bounds a high-cardinality pane's memory). */
const SAMPLES_PER_WRITE = 50_000;
/** The log says at most this often that panes were written past their retention (all are counted). */
const REPORT_EVERY_MS = 60_000;
/** The window of the per-minute distinct samples (pane-samples.ts). */
const DISTINCT_MINUTE_MS = 60_000;
/** Panes held per store call. */
const HOLD_CHUNK = 1000;

export class HistoryWriter {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private written = 0;
  /** Panes before this are held (this process placed the holds). */
  private readonly samples: PaneSamples;
  private heldTo = Number.NEGATIVE_INFINITY;
  private panesHeld = 0;
  private panesPastRetention = 0;
  private reportedTo = Number.NEGATIVE_INFINITY;
  private reportedAt = Number.NEGATIVE_INFINITY;
  /**
   * Records in the log not applied yet, as of the last round; null until a
   * round has measured them, and so always in a process without the history
   * worker: its 0 would read as "no lag" beside the process that measures it,
   * and as healthy where no process measures it at all.
   */
  private waitingRecords: number | null = null;
  private stalledSince: number | undefined;
  private stalledReportedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly state: PaneStateStore,
    private readonly log: Pick<EventLog, 'endOffsets'>,
    private readonly definitions: readonly MetricDefinition[],
    private readonly history: History,
    private readonly options: HistoryWriterOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.samples = new PaneSamples(state, definitions, options);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
  }

  /**
   * Pane ends at or before this are immutable; -Infinity while nothing can
   * be. The watermark over every partition of the log, where a partition
   * silent for idleMs follows the clock only when no record of it is
   * waiting (its last applied offset is its end offset − 1): one whose
   * processor is behind or down, or that no processor has applied yet, holds
   * history back. Without that, the seal would pass its backlog, and the
   * backlog would then be too late.
   */
  async writableUpTo(): Promise<number> {
    // The log's ends first: a commit after them can only show less waiting than there is now.
    const ends = await this.log.endOffsets();
    const committed = await this.state.readCommitted();
    const now = this.clock();
    const activity: PartitionActivity[] = [];
    const stalled: string[] = [];
    let unapplied = false;
    let waitingRecords = 0;
    for (const [partition, end] of ends) {
      const seen = committed.get(partition);
      const waiting = end - 1 - (seen?.offset ?? -1);
      waitingRecords += Math.max(0, waiting);
      if (seen === undefined) {
        if (waiting > 0) {
          unapplied = true;
          stalled.push(`partition ${partition}: ${waiting} records, none applied yet`);
        }
        continue;
      }
      if (waiting > 0 && now - seen.committedAt >= this.options.idleMs) {
        stalled.push(`partition ${partition}: ${waiting} records, no commit for ${Math.round((now - seen.committedAt) / 1000)} s`);
      }
      activity.push({ maxEventTime: seen.maxEventTime, lastActivity: waiting > 0 ? Number.POSITIVE_INFINITY : seen.committedAt });
    }
    this.waitingRecords = waitingRecords;
    this.reportStalled(stalled, now);
    return unapplied ? Number.NEGATIVE_INFINITY : watermarkOver(activity, now, this.options) - this.options.allowedLatenessMs;
  }

  /**
   * Says (at most once a minute) which partitions hold history back with
   * records waiting that no processor is applying: a processor down or
   * behind, which an operator should hear of before panes run out of
   * retention.
   */
  private reportStalled(stalled: readonly string[], now: number): void {
    if (stalled.length === 0) {
      this.stalledSince = undefined;
      return;
    }
    this.stalledSince ??= now;
    if (now - this.stalledSince >= REPORT_EVERY_MS && now - this.stalledReportedAt >= REPORT_EVERY_MS) {
      this.stalledReportedAt = now;
      console.warn(`history writer: waiting for ${stalled.join('; ')}: history holds until they are applied`);
    }
  }

  /** Writes the next run of immutable panes; safe to call concurrently (runs once at a time). */
  async tick(): Promise<void> {
    if (this.running) {
      return;
    }
    this.running = true;
    const { paneMs, outOfOrdernessMs, allowedLatenessMs, retentionMs } = this.options;
    // Where history would be, were no partition holding it back: the clock's reach.
    const reach = Math.floor((this.clock() - outOfOrdernessMs - allowedLatenessMs) / paneMs) * paneMs;
    let from: number | undefined;
    try {
      from = await this.state.readMark(CURSOR);
      const limit = Math.floor((await this.writableUpTo()) / paneMs) * paneMs;
      if (from !== undefined && reach - limit > retentionMs / 2) {
        // Held back far behind the clock (a partition with records waiting: its processor down or
        // behind): the other partitions' panes must outlive the wait, as in an outage.
        await this.hold(from, reach);
      }
      if (!Number.isFinite(limit)) {
        return;
      }
      if (from === undefined) {
        // Marked at once: if history is down from the start, the next run resumes (and holds) from here.
        from = limit - this.options.initialLookbackMs;
        await this.state.writeMark(CURSOR, from);
      }
      await this.write(from, limit);
    } catch (error) {
      console.warn(`history writer: will retry: ${(error as Error).message}`);
      if (from !== undefined) {
        // VictoriaMetrics, Redis or Kafka (its end offsets) failing: keep what is not written yet.
        await this.hold(from, reach);
      }
    } finally {
      this.running = false;
    }
  }

  private async write(from: number, limit: number): Promise<void> {
    const { paneMs } = this.options;
    const starts: number[] = [];
    for (let start = from; start + paneMs <= limit && starts.length < this.options.maxPanesPerTick; start += paneMs) {
      starts.push(start);
    }
    this.reportPastRetention(starts);
    // Slices of the run, each written and marked before the next is read: a catch-up of a
    // high-cardinality metric holds a few panes' partials and samples, not the whole run's.
    for (let i = 0; i < starts.length; i += PANES_PER_SLICE) {
      const slice = starts.slice(i, i + PANES_PER_SLICE);
      const sliceEnd = (slice[slice.length - 1] as number) + paneMs;
      await this.state.raiseMark(HISTORY_SEAL, sliceEnd);
      const samples: Sample[] = [];
      let written = 0;
      for (const definition of this.definitions) {
        // One read per metric for the slice, then per pane.
        const byPane = groupByPane(await this.state.readPanes(definition.name, paneMs, slice));
        for (const [paneStart, byPartition] of byPane) {
          // One by one: spreading a big pane's samples into push() overflows the stack (~120k).
          for (const sample of await this.samples.paneSamples(definition, paneStart, byPartition)) {
            samples.push(sample);
          }
          if (samples.length >= SAMPLES_PER_WRITE) {
            await this.history.writeSamples(samples);
            written += samples.length;
            samples.length = 0;
          }
        }
        if (definition.distinctOf !== undefined) {
          // Each minute the slice completes, events in its last second or not.
          for (const start of slice) {
            if ((start + paneMs) % DISTINCT_MINUTE_MS === 0) {
              for (const sample of await this.samples.minuteSamples(definition, start + paneMs)) {
                samples.push(sample);
              }
            }
          }
        }
      }
      await this.history.writeSamples(samples);
      await this.state.writeMark(CURSOR, sliceEnd);
      this.written += written + samples.length;
    }
  }

  /**
   * While history cannot be written (a store failing) or waits far behind
   * the clock (a partition with records waiting), keeps the panes not
   * written yet, up to the clock's reach, in the store past their retention
   * (by holdMs), so an outage or a stall shorter than that loses nothing:
   * the writer catches up after it. Each pane is held once (new panes as
   * the clock moves on); a restarted writer holds them again, harmlessly.
   */
  private async hold(from: number, limit: number): Promise<void> {
    const { holdMs, paneMs, retentionMs } = this.options;
    // From the cursor's minute: the minute's distinct count is read from all its panes.
    const first = Math.max(Math.floor(from / DISTINCT_MINUTE_MS) * DISTINCT_MINUTE_MS, this.heldTo);
    if (holdMs <= 0 || first >= limit) {
      return;
    }
    const starts: number[] = [];
    for (let start = first; start < limit; start += paneMs) {
      starts.push(start);
    }
    const until = this.clock() + retentionMs + holdMs;
    try {
      for (const definition of this.definitions) {
        for (let i = 0; i < starts.length; i += HOLD_CHUNK) {
          await this.state.holdPanes(definition.name, paneMs, starts.slice(i, i + HOLD_CHUNK), until);
        }
      }
      this.heldTo = limit;
      this.panesHeld += starts.length;
    } catch (error) {
      console.warn(`history writer: could not hold the panes not written yet: ${(error as Error).message}`);
    }
  }

  /**
   * Counts (and says, at most once a minute) the panes about to be written
   * after the store may have dropped them: a pane lives `retentionMs` after its last commit,
   * `holdMs` more when held. History of those panes may be incomplete.
   */
  private reportPastRetention(starts: readonly number[]): void {
    const { holdMs, paneMs, retentionMs } = this.options;
    const now = this.clock();
    // Once per pane: a failing write leaves the cursor, and the next run starts there again.
    const past = starts.filter((start) => start >= this.reportedTo && start + paneMs + retentionMs + (start < this.heldTo ? holdMs : 0) < now);
    if (past.length > 0) {
      this.reportedTo = (past[past.length - 1] as number) + paneMs;
      this.panesPastRetention += past.length;
      if (now - this.reportedAt < REPORT_EVERY_MS) {
        return;
      }
      this.reportedAt = now;
      const from = new Date(past[0] as number).toISOString();
      const to = new Date((past[past.length - 1] as number) + paneMs).toISOString();
      console.error(`history writer: panes from ${from} to ${to} outlived their retention in the pane store before history took them; their history may be incomplete (${this.panesPastRetention} panes so far)`);
    }
  }

  snapshot(): { samplesWritten: number; panesHeld: number; panesPastRetention: number; waitingRecords: number | null } {
    return { samplesWritten: this.written, panesHeld: this.panesHeld, panesPastRetention: this.panesPastRetention, waitingRecords: this.waitingRecords };
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
  }
}
