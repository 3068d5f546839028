/**
 * What the backend knows, for tests: per series, window start → value and finality. Answers
 * GET /v1/history the way the backend composes it (every window overlapping [from, to), windows
 * without data left out), so a test can check that the datasource asked for the right range.
 */
import type { AnswerPoint, QueryAnswer } from '../types';

export class HistoryTruth {
  private readonly series = new Map<string, { group: Record<string, string>; points: Map<number, AnswerPoint> }>();

  constructor(
    readonly sizeMs: number,
    readonly slideMs: number = sizeMs,
  ) {}

  set(group: Record<string, string>, start: number, value: number, final: boolean): this {
    const key = JSON.stringify(Object.entries(group).sort());
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { group, points: new Map() };
      this.series.set(key, entry);
    }
    entry.points.set(start, { start, end: start + this.sizeMs, value, final });
    return this;
  }

  /** The history endpoint's answer for these parameters. */
  answer(params: Record<string, string>): QueryAnswer {
    const from = Number(params.from);
    const to = Number(params.to);
    const groups = [...this.series.values()]
      .map(({ group, points }) => ({
        group,
        points: [...points.values()].filter((p) => p.start < to && p.end > from).sort((a, b) => a.start - b.start),
      }))
      .filter((g) => g.points.length > 0);
    return {
      metric: params.metric ?? '',
      aggregate: params.aggregate ?? '',
      window: { sizeMs: this.sizeMs, slideMs: this.slideMs },
      watermark: null,
      groups,
    };
  }
}
