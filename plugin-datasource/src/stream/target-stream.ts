/**
 * One target's stream: history for the range, then the live tail, stitched in a WindowStore and
 * emitted as frames at most every `flushMs` (Grafana repaints live panels at ~20 Hz anyway).
 *
 * Order of events, and why there is no gap at the seam:
 * 1. The live subscription and the history request start together; live frames are applied as
 *    they come, history fills around them (window-store.ts says who wins a window).
 * 2. Nothing is emitted before history answered (or failed), so a refresh never blanks the panel.
 * 3. Once both history and the first snapshot are in, the range between history's end (or the
 *    oldest window still open) and the snapshot's first window is fetched from history again.
 *    The same happens after a reconnect whose resume the server could not serve (a snapshot that
 *    replaces): the gap is everything after the last healthy live window.
 * 4. While the target streams, a history read that failed transiently is retried with backoff
 *    (history-retry.ts). Its error shows meanwhile and goes once every failed read has answered;
 *    the first answer then fills the seam as in 3, however late it comes.
 * Teardown unsubscribes, cancels pending requests and retries, and the flush timer.
 */
import { LoadingState, type DataQueryError, type DataQueryResponse } from '@grafana/data';
import { Observable, Subscription } from 'rxjs';
import type { SubscribeQuery } from '@panecast/protocol';

import { toRequestError, type BackendApi, type PanecastRequestError } from '../api';
import type { LiveClient } from '../live/live-client';
import type { LiveState } from '../live/live-types';
import { historyParams, toSubscribeQuery, type ResolvedQuery } from '../query-model';
import type { FrameConnection, PanecastFrameMeta, QueryAnswer } from '../types';
import { FrameBuilder } from './frames';
import { retryingRead } from './history-retry';
import { WindowStore, earliestStart } from './window-store';

/** Most windows kept per series whatever the range: a memory guard, not a display limit. */
export const MAX_POINTS_PER_SERIES = 50_000;

export interface TargetRequest {
  query: ResolvedQuery;
  /** The dashboard range, epoch ms. */
  from: number;
  to: number;
  maxDataPoints: number;
  /**
   * The range is absolute (Grafana's axis stays on [from, to), e.g. after a drag-zoom): the live
   * tail fills the range's last windows but nothing past `to` is kept. Relative ranges move with now.
   */
  absolute?: boolean;
  /** Grafana unit of the Value field. */
  unit?: string;
}

export interface TargetDeps {
  api: BackendApi;
  /** Present when the target streams; absent: history only. */
  live?: LiveClient;
  now?: () => number;
  flushMs?: number;
  /** Jitter of the history retries' backoff. */
  random?: () => number;
}

/** Windows per series to keep: the range's windows (one window's worth more), at least maxDataPoints. */
export function bufferCapacity(from: number, to: number, sizeMs: number, slideMs: number, maxDataPoints: number): number {
  const inRange = Math.ceil((to - from + sizeMs) / slideMs) + 1;
  return Math.min(MAX_POINTS_PER_SERIES, Math.max(inRange, maxDataPoints));
}

/** How the panel reads the client's state (plugin-panel's LIVE_CONNECTION_STATES). */
export function frameConnection(state: LiveState): FrameConnection {
  switch (state) {
    case 'connected':
      return 'connected';
    case 'connecting':
    case 'reconnecting':
      return 'reconnecting';
    default:
      return 'disconnected';
  }
}

/** Windows of the slide grid overlapping [from, to), as the backend counts them (history-plan.ts windowStarts). */
export function windowsOverlapping(from: number, to: number, sizeMs: number, slideMs: number): number {
  const first = Math.floor((from - sizeMs) / slideMs) * slideMs + slideMs;
  const last = Math.ceil(to / slideMs) * slideMs - slideMs;
  return last < first ? 0 : (last - first) / slideMs + 1;
}

/**
 * The query inspector's "executed query": the history read (later gap fills differ only in their
 * range) and, for a live target, the subscription the live channel was sent.
 */
export function executedQuery(historyRead: Record<string, string>, subscribe: SubscribeQuery | undefined): string {
  const lines = [`GET /v1/history?${new URLSearchParams(historyRead).toString()}`];
  if (subscribe !== undefined) {
    lines.push(`live subscribe ${JSON.stringify(subscribe)}`);
  }
  return lines.join('\n');
}

function dataError(refId: string, code: string, message: string): DataQueryError {
  return { refId, message: `[${code}] ${message}`, status: undefined };
}

export function streamTarget(deps: TargetDeps, request: TargetRequest): Observable<DataQueryResponse> {
  return new Observable<DataQueryResponse>((subscriber) => {
    const { query, from, to, maxDataPoints } = request;
    const { sizeMs, slideMs } = query.window;
    const refId = query.refId;
    const now = deps.now ?? Date.now;
    const live = deps.live;
    const store = new WindowStore({
      capacity: bufferCapacity(from, to, sizeMs, slideMs, maxDataPoints),
      // The range's width plus one window, measured back from the newest window as time moves on.
      spanMs: to - from + sizeMs,
      ...(request.absolute === true ? { startBefore: to } : {}),
    });
    const requests = new Subscription();
    /** The live subscription was refused, or the client stopped for good. */
    let liveError: DataQueryError | undefined;
    /** The latest failure among history reads still failing (ids in failingReads). */
    let historyError: DataQueryError | undefined;
    const failingReads = new Set<number>();
    let reads = 0;
    /** History answered or failed: emits may start. */
    let historyDone = false;
    /** History's range is in the store: the first seam can be measured against it. */
    let historyApplied = false;
    let firstSnapshotStart: number | undefined;
    let seamChecked = false;
    // The live tail refreshes only windows ending at most about a slide past the newest event. A
    // sliding window ending further ahead started seconds ago: from history it would come as a
    // partial value that nothing refreshes until it nears its end, and the chart's right edge and the
    // legend's current value would read those seconds as a whole window. History stops at the window
    // ending at the next slide (tumbling: the open window, as before).
    const historyTo = live === undefined ? to : Math.min(to, Math.floor(now() / slideMs) * slideMs + 2 * slideMs - sizeMs);
    /** Windows starting before this are covered by history or by a healthy live connection. */
    let coveredTo = historyTo;
    // With a range shorter than a window historyTo may fall before `from`: the first read asks from just before it then (as fill() does).
    const firstReadFrom = Math.min(from, historyTo - 1);
    /** How far back from its end a fill may reach: the first read's windows (fill() says why). */
    const fillReachMs = windowsOverlapping(firstReadFrom, historyTo, sizeMs, slideMs) * slideMs;
    const firstRead = historyParams(query, firstReadFrom, historyTo, maxDataPoints);
    const subscribeQuery = toSubscribeQuery(query);
    const builder = new FrameBuilder({
      refId,
      metric: query.metric,
      aggregate: query.aggregate,
      legendFormat: query.legendFormat,
      unit: request.unit,
      timeOffsetMs: query.window.type === 'sliding' ? sizeMs : 0,
      executedQueryString: executedQuery(firstRead, live === undefined ? undefined : subscribeQuery),
    });
    let connection = live === undefined ? undefined : frameConnection(live.state);
    let connectionCode: string | undefined;
    let metaChanged = true;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const emit = () => {
      timer = undefined;
      store.trim();
      const meta: PanecastFrameMeta = {
        metric: query.metric,
        aggregate: query.aggregate,
        window: { type: query.window.type, sizeMs, slideMs },
        ...(connection !== undefined ? { connection } : {}),
        ...(connectionCode !== undefined ? { connectionCode } : {}),
      };
      const data = builder.frames(store.all(), meta, metaChanged);
      metaChanged = false;
      const response: DataQueryResponse = { data, key: refId, state: live === undefined ? LoadingState.Done : LoadingState.Streaming };
      const errors = [historyError, liveError].filter((e): e is DataQueryError => e !== undefined);
      if (errors.length > 0) {
        response.errors = errors;
      }
      subscriber.next(response);
      if (live === undefined) {
        subscriber.complete();
      }
    };
    const schedule = (delay = deps.flushMs ?? 50) => {
      if (!historyDone) {
        return;
      }
      if (delay === 0 && timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      timer ??= setTimeout(emit, delay);
    };
    const readFailed = (id: number, e: unknown) => {
      const coded = toRequestError(e, deps.api.base);
      failingReads.add(id);
      historyError = dataError(refId, coded.code, coded.message);
    };
    /**
     * GET /v1/history for `params`; retried while the target streams (a history-only target
     * completes on its first emit, so there is nobody to show a later answer to). `failed` runs on
     * every failed attempt, the last one included.
     */
    const readHistory = (params: Record<string, string>, answered: (answer: QueryAnswer) => void, failed: () => void) => {
      const id = ++reads;
      const read = () => deps.api.history(params);
      const source =
        live === undefined
          ? read()
          : retryingRead(read, {
              base: deps.api.base,
              random: deps.random,
              retrying: (e: PanecastRequestError) => {
                readFailed(id, e);
                failed();
              },
            });
      requests.add(
        source.subscribe({
          next: (answer) => {
            if (failingReads.delete(id) && failingReads.size === 0) {
              historyError = undefined;
            }
            answered(answer);
          },
          error: (e: unknown) => {
            readFailed(id, e);
            failed();
          },
        }),
      );
    };

    /** Fetches the windows starting in [fromStart, toStart) again; history may not overwrite final live values. */
    const fill = (gapFrom: number, toStart: number) => {
      // Never back further than the first read reached: older windows are outside the range the
      // store keeps (trim drops them), and a longer read can hold more windows than maxPoints, which
      // the backend refuses for good (PANECAST_ERR_HISTORY_TOO_MANY_POINTS). Coverage can lie far
      // back: measured from the newest window with data (a quiet metric), or from the query's start
      // (a gateway resync on a connection that never dropped).
      const fromStart = Math.max(gapFrom, toStart - fillReachMs);
      if (fromStart >= toStart) {
        return;
      }
      // Windows overlapping [fromStart + size − slide, toStart) are those starting in [fromStart, toStart).
      // A gap shorter than size − slide makes that range empty, which the backend refuses (from ≥ to):
      // ask from just before toStart then (windows from toStart − size on); applyHistory keeps the gap's.
      const params = historyParams(query, Math.min(fromStart + sizeMs - slideMs, toStart - 1), toStart, maxDataPoints);
      readHistory(
        params,
        (answer) => {
          store.applyHistory(answer, { from: fromStart, to: toStart });
          schedule();
        },
        () => schedule(),
      );
    };
    const seam = (snapshotStart: number) => {
      const open = store.oldestOpenBefore(snapshotStart);
      fill(Math.min(open ?? Number.POSITIVE_INFINITY, coveredTo), snapshotStart);
    };
    const firstSeam = () => {
      if (!seamChecked && historyApplied && liveError === undefined && firstSnapshotStart !== undefined) {
        seamChecked = true;
        seam(firstSnapshotStart);
      }
    };

    readHistory(
      firstRead,
      (answer) => {
        store.applyHistory(answer);
        historyDone = true;
        historyApplied = true;
        firstSeam();
        schedule(0);
      },
      // The live tail shows meanwhile, with the error beside it.
      () => {
        historyDone = true;
        schedule(0);
      },
    );

    if (live !== undefined) {
      requests.add(
        live.onStateChange((change) => {
          if (change.previous === 'connected' && change.state !== 'connected') {
            // Live covered everything up to its newest window; a later snapshot that replaces starts the gap here.
            coveredTo = Math.max(coveredTo, (store.newestStart() ?? coveredTo - slideMs) + slideMs);
          }
          const next = frameConnection(change.state);
          const code = change.state === 'connected' || change.code === undefined ? undefined : String(change.code);
          if (next !== connection || code !== connectionCode) {
            connection = next;
            connectionCode = code;
            metaChanged = true;
            schedule();
          }
        }),
      );
      const subscription = live.subscribe(subscribeQuery, {
        snapshot: (windows, replaces) => {
          store.applySnapshot(windows, replaces);
          const first = windows.length > 0 ? earliestStart(windows) : Math.floor(now() / slideMs) * slideMs;
          if (firstSnapshotStart === undefined) {
            firstSnapshotStart = first;
            firstSeam();
          } else if (replaces) {
            seam(first);
          }
          schedule();
        },
        update: (m) => {
          store.applyUpdate(m.series, m.window.start, m.value, m.final);
          schedule();
        },
        correction: (m) => {
          store.applyCorrection(m.series, m.window.start, m.value);
          schedule();
        },
        error: (code, message) => {
          liveError = dataError(refId, code, message);
          schedule();
        },
      });
      requests.add(() => subscription.unsubscribe());
    }

    return () => {
      requests.unsubscribe();
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  });
}
