import { formattedValueToString } from '@grafana/data';

import { type ChartModel } from './model';
import { ALL_TIME, type XRange } from './visible';

/** What the legend shows of one series. */
export interface LegendItem {
  key: string;
  name: string;
  color: string;
  /** The current value formatted with the field's unit and decimals; '' when none. */
  text: string;
  final: boolean;
  corrected: number;
}

/**
 * The legend of a model. Corrections are counted within `xRange` only: the legend says how many
 * rings the chart shows, and a datasource may keep windows older than the dashboard's range.
 */
export function legendOf(model: ChartModel, xRange: XRange = ALL_TIME): LegendItem[] {
  const [from, to] = xRange;
  return model.series.map((s) => {
    const current = s.current;
    const text = current === undefined ? '' : formattedValueToString(s.display(current.value));
    let corrected = 0;
    for (const i of s.corrected) {
      const time = model.xs[i] as number;
      if (time >= from && time <= to) {
        corrected++;
      }
    }
    return { key: s.key, name: s.name, color: s.color, text, final: current?.final ?? true, corrected };
  });
}

/** True when both legends show the same thing, so React need not re-render. */
export function sameLegend(a: readonly LegendItem[], b: readonly LegendItem[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i] as LegendItem;
      return (
        x.key === y.key &&
        x.name === y.name &&
        x.color === y.color &&
        x.text === y.text &&
        x.final === y.final &&
        x.corrected === y.corrected
      );
    })
  );
}
