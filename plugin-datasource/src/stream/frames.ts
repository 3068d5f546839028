/**
 * Data frames of one target, one per series (types.ts states the contract the panel reads).
 * Frames of series that did not change since the last emit are reused as they are, so a tick
 * that touched two series out of twenty copies two series, not twenty.
 */
import { FieldType, createDataFrame, type DataFrame, type FieldConfig } from '@grafana/data';

import { FRAME_FIELDS, type PanecastFrameMeta } from '../types';
import type { SeriesPoints } from './window-store';

/** Keeps Grafana's own panels from drawing the per-row flags as series; the Panecast panel reads them. */
const HIDDEN: FieldConfig = { custom: { hideFrom: { viz: true, legend: true, tooltip: true } } };

/** `{{region}} / {{platform}}` filled from the series; `{{metric}}`, `{{aggregate}}` from the query. */
export function legendOf(format: string | undefined, labels: Record<string, string>, metric: string, aggregate: string): string {
  if (format !== undefined && format.trim() !== '') {
    return format.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (_whole, name: string) => {
      if (name === 'metric') {
        return labels.metric ?? metric;
      }
      if (name === 'aggregate') {
        return labels.aggregate ?? aggregate;
      }
      return labels[name] ?? '';
    });
  }
  const names = Object.keys(labels).sort();
  const base = `${metric} ${aggregate}`;
  return names.length === 0 ? base : `${base} {${names.map((n) => `${n}="${labels[n]}"`).join(', ')}}`;
}

export interface FrameContext {
  refId: string;
  metric: string;
  aggregate: string;
  legendFormat?: string;
  /** Grafana unit id for the Value field, when the aggregate has the measure's unit. */
  unit?: string;
  /**
   * Added to a window's start to give its `Time`: the window size for sliding windows (a sliding
   * value is "as of" its window's end, as in Prometheus; stamped at the start, a 5-minute window
   * would leave the last 5 minutes of every chart blank), 0 for tumbling ones (the interval begins).
   */
  timeOffsetMs?: number;
  /** What the target asked the backend (its first history read, its live subscription), for the query inspector. */
  executedQueryString?: string;
}

export class FrameBuilder {
  private readonly cache = new Map<string, DataFrame>();

  constructor(private readonly context: FrameContext) {}

  private build(series: SeriesPoints, meta: PanecastFrameMeta): DataFrame {
    const { refId, metric, aggregate, legendFormat, unit } = this.context;
    const n = series.points.length;
    const offset = this.context.timeOffsetMs ?? 0;
    const times = new Array<number>(n);
    const values = new Array<number>(n);
    const finals = new Array<boolean>(n);
    const corrected = new Array<boolean>(n);
    for (let i = 0; i < n; i++) {
      const p = series.points[i]!;
      times[i] = p.start + offset;
      values[i] = p.value;
      finals[i] = p.final;
      corrected[i] = p.corrected;
    }
    const name = legendOf(legendFormat, series.labels, metric, aggregate);
    return createDataFrame({
      name,
      refId,
      meta: {
        preferredVisualisationType: 'graph',
        custom: meta,
        ...(this.context.executedQueryString !== undefined ? { executedQueryString: this.context.executedQueryString } : {}),
      },
      fields: [
        { name: FRAME_FIELDS.time, type: FieldType.time, values: times, config: {} },
        {
          name: FRAME_FIELDS.value,
          type: FieldType.number,
          values,
          labels: { ...series.labels },
          config: unit === undefined ? { displayNameFromDS: name } : { displayNameFromDS: name, unit },
        },
        { name: FRAME_FIELDS.final, type: FieldType.boolean, values: finals, config: HIDDEN },
        { name: FRAME_FIELDS.corrected, type: FieldType.boolean, values: corrected, config: HIDDEN },
      ],
    });
  }

  /**
   * Frames for every series; rebuilt only for dirty series or when `meta` changed (`metaChanged`).
   * With no series, one empty frame carries the meta (the connection state shows before data).
   */
  frames(all: readonly SeriesPoints[], meta: PanecastFrameMeta, metaChanged: boolean): DataFrame[] {
    const keys = new Set(all.map((s) => s.key));
    for (const key of this.cache.keys()) {
      if (!keys.has(key)) {
        this.cache.delete(key);
      }
    }
    const frames: DataFrame[] = [];
    for (const series of all) {
      let frame = this.cache.get(series.key);
      if (frame === undefined || series.dirty || metaChanged) {
        frame = this.build(series, meta);
        this.cache.set(series.key, frame);
        series.dirty = false;
      }
      frames.push(frame);
    }
    if (frames.length === 0) {
      frames.push(this.build({ key: '', labels: {}, points: [], dirty: false }, meta));
    }
    return frames;
  }
}
