/** What bench/panel.ts asks of the benchmark page and what the page answers (times in ms). */
export interface BenchConfig {
  /** Label of the scenario in the results. */
  name: string;
  series: number;
  points: number;
  /** Updates a second. */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** When true each series lacks ~3 % of windows, so series have different time columns. */
  ragged: boolean;
  /** Every how many updates a window closes: 10 at 10 updates/s is a 1 s window; 1 closes one per update. */
  closeEvery: number;
  windowStyle: string;
  width: number;
  height: number;
}

export interface Sample {
  count: number;
  median: number;
  p95: number;
  max: number;
}

export interface BenchResult {
  config: BenchConfig;
  seconds: number;
  firstRenderMs: number;
  updates: number;
  /** Repaints measured (user-timing entries of the panel). */
  repaints: number;
  /** The chart's own repaint counter at the end (includes warm-up). */
  chartRepaints: number;
  legendItems: number;
  /** One update: field-config step + React render of the panel. */
  updateMs: Sample;
  fieldOverridesMs: Sample;
  reactRenderMs: Sample;
  /** One repaint: model + uPlot setData + draw. */
  repaintMs: Sample;
  /** The model part of a repaint (frames → columns); the rest is uPlot and the overlays. */
  modelMs: Sample;
  longAnimationFrames: number;
  longAnimationFrameMaxMs: number;
  longTasks: number;
  longAnimationFramesSupported: boolean;
}
