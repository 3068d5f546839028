import { formattedValueToString } from '@grafana/data';

import { type ChartModel } from './model';

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

export function legendOf(model: ChartModel): LegendItem[] {
  return model.series.map((s) => {
    const current = s.current;
    const text = current === undefined ? '' : formattedValueToString(s.display(current.value));
    return { key: s.key, name: s.name, color: s.color, text, final: current?.final ?? true, corrected: s.corrected.length };
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
