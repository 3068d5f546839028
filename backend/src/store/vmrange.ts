/**
 * The `vmrange` label of the history's bucket series: one DDSketch bin as a
 * VictoriaMetrics histogram bucket, `<lower>...<upper>` with four significant
 * digits (process/history-writer.ts writes them). Reading it back to the bin
 * lets history rebuild the very sketch the panes would have merged, so a
 * quantile from history equals the one composed from panes instead of
 * VictoriaMetrics' interpolation inside a 2 % bucket.
 */
import { binBounds, binKeyOf } from '../window/aggregates/quantile-sketch';

/** The label of a packed bin key, as the history writer spells it. */
export function vmrangeOf(binKey: number): string {
  const { lower, upper } = binBounds(binKey);
  return `${lower.toExponential(3)}...${upper.toExponential(3)}`;
}

/**
 * The packed bin key of a label, or undefined when it is not one of ours:
 * the bin holding the geometric middle of the bounds (bins are 2 % wide, the
 * bounds carry four digits), checked by spelling that bin's label again.
 */
export function binKeyOfVmrange(label: string): number | undefined {
  const parts = label.split('...');
  if (parts.length !== 2) {
    return undefined;
  }
  const lower = Number(parts[0]);
  const upper = Number(parts[1]);
  if (!Number.isFinite(lower) || !Number.isFinite(upper) || lower > upper) {
    return undefined;
  }
  let key: number;
  if (lower === 0 && upper === 0) {
    key = binKeyOf(0);
  } else if (lower > 0 || upper < 0) {
    const middle = Math.sqrt(lower * upper);
    key = binKeyOf(upper > 0 ? middle : -middle);
  } else {
    return undefined;
  }
  return vmrangeOf(key) === label ? key : undefined;
}
