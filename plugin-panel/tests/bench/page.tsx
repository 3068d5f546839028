/**
 * Browser side of `npm run bench -- panel` (bench/panel.ts bundles this file with esbuild and
 * opens it in Chromium). Renders the real LivePanel with React 19 and @grafana/data, feeds it
 * a simulated Panecast stream and measures where each frame's scripting time goes.
 *
 * The stream: `series` frames of `points` 1 s windows (the shape the datasource sends: time,
 * value, final, corrected), `rate` updates a second. Each update grows the open window of every
 * series; every `closeEvery`-th closes it (final) and opens the next, dropping the oldest (a
 * bounded buffer); every fifth corrects a final window of one series. Each update goes through
 * Grafana's field-config step (applyFieldOverrides, as PanelQueryRunner does for every
 * emission) and a React render of the panel, as in a dashboard.
 *
 * The page measures wall times (its own and the panel's user-timing entries); per-frame
 * figures come from the runner's Chromium trace, so no requestAnimationFrame loop of the
 * page's own adds work to the frames.
 */
import React from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import {
  type DataFrame,
  EventBusSrv,
  type FieldConfig,
  FieldColorModeId,
  type FieldConfigSource,
  FieldType,
  LoadingState,
  type PanelData,
  ThresholdsMode,
  applyFieldOverrides,
  createTheme,
  dateTime,
} from '@grafana/data';

import { LivePanel } from '../../src/components/LivePanel';
import { MODEL_MEASURE, REPAINT_MEASURE } from '../../src/render/controller';
import { DEFAULT_OPTIONS, type LiveFieldConfig, type LiveOptions, type WindowStyle } from '../../src/types';
import { type BenchConfig, type BenchResult } from './protocol';
import { sample } from './trace';

interface SeriesBuffer {
  times: number[];
  values: number[];
  final: boolean[];
  corrected: boolean[];
}

/** mulberry32: a seeded generator, so runs draw the same stream. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Stream {
  readonly buffers: SeriesBuffer[] = [];
  private updates = 0;
  private nextWindow: number;
  private readonly next = random(42);
  private readonly closeEvery: number;

  constructor(config: BenchConfig, now: number) {
    this.closeEvery = config.closeEvery;
    const first = Math.floor(now / 1000) * 1000 - (config.points - 1) * 1000;
    this.nextWindow = first + config.points * 1000;
    for (let s = 0; s < config.series; s++) {
      const buffer: SeriesBuffer = { times: [], values: [], final: [], corrected: [] };
      for (let i = 0; i < config.points; i++) {
        if (config.ragged && i < config.points - 1 && this.next() < 0.03) {
          continue;
        }
        buffer.times.push(first + i * 1000);
        buffer.values.push(100 + 50 * Math.sin((i + s * 40) / 120) + 10 * this.next());
        buffer.final.push(i < config.points - 1);
        buffer.corrected.push(false);
      }
      this.buffers.push(buffer);
    }
  }

  /** One emission of the datasource. */
  step(): void {
    this.updates++;
    const closing = this.updates % this.closeEvery === 0;
    for (const buffer of this.buffers) {
      const last = buffer.values.length - 1;
      buffer.values[last] = (buffer.values[last] ?? 0) + this.next() * 2;
      if (closing) {
        buffer.final[last] = true;
        buffer.times.push(this.nextWindow);
        buffer.values.push(100 + 20 * this.next());
        buffer.final.push(false);
        buffer.corrected.push(false);
        buffer.times.shift();
        buffer.values.shift();
        buffer.final.shift();
        buffer.corrected.shift();
      }
    }
    if (closing) {
      this.nextWindow += 1000;
    }
    if (this.updates % 5 === 0) {
      const buffer = this.buffers[this.updates % this.buffers.length] as SeriesBuffer;
      const index = buffer.values.length - 2 - Math.floor(this.next() * 30);
      if (index >= 0) {
        buffer.values[index] = (buffer.values[index] ?? 0) + 5;
        buffer.corrected[index] = true;
      }
    }
  }

  /**
   * The value field's config as the panel's field config would leave it: a unit, decimals and
   * thresholds drawn as a line over a band (set here because, without Grafana's option
   * registry, applyFieldOverrides applies no defaults).
   */
  private valueConfig(series: number): FieldConfig<Partial<LiveFieldConfig>> {
    return {
      displayNameFromDS: `region-${series}`,
      color: { mode: FieldColorModeId.PaletteClassic },
      unit: 'short',
      decimals: 1,
      thresholds: {
        mode: ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'green' },
          { value: 150, color: 'red' },
        ],
      },
      custom: { thresholdsStyle: 'line+area' },
    };
  }

  /** New frame objects over the live buffers, as a streaming datasource hands them on. */
  frames(): DataFrame[] {
    return this.buffers.map((buffer, s) => ({
      refId: 'A',
      length: buffer.times.length,
      meta: { custom: { connection: 'connected' } },
      fields: [
        { name: 'time', type: FieldType.time, config: {}, values: buffer.times },
        {
          name: 'value',
          type: FieldType.number,
          config: this.valueConfig(s),
          values: buffer.values,
          labels: { region: `region-${s}` },
        },
        { name: 'final', type: FieldType.boolean, config: {}, values: buffer.final },
        { name: 'corrected', type: FieldType.boolean, config: {}, values: buffer.corrected },
      ],
    }));
  }
}

const theme = createTheme();
const fieldConfig: FieldConfigSource = { defaults: {}, overrides: [] };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(config: BenchConfig): Promise<BenchResult> {
  const container = document.getElementById('root') as HTMLElement;
  const root = createRoot(container);
  const stream = new Stream(config, Date.now());
  const options: LiveOptions = { ...DEFAULT_OPTIONS, windowStyle: config.windowStyle as WindowStyle };
  const props = (data: PanelData) => ({
    id: 1,
    data,
    timeRange: data.timeRange,
    timeZone: 'utc',
    options,
    transparent: false,
    width: config.width,
    height: config.height,
    fieldConfig,
    renderCounter: 0,
    title: 'bench',
    eventBus: new EventBusSrv(),
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    replaceVariables: (v: string) => v,
    onChangeTimeRange: () => undefined,
  });
  /** One emission through Grafana's field-config step and React; returns the time of each. */
  const emit = (): { overridesMs: number; renderMs: number } => {
    const start = performance.now();
    const now = Date.now();
    const series = applyFieldOverrides({
      data: stream.frames(),
      fieldConfig,
      replaceVariables: (v) => v,
      theme,
      timeZone: 'utc',
    });
    const data: PanelData = {
      series,
      state: LoadingState.Streaming,
      timeRange: { from: dateTime(now - config.points * 1000), to: dateTime(now), raw: { from: 'now-1h', to: 'now' } },
    };
    const rendered = performance.now();
    // flushSync: render, commit and effects inside this task, so the timing covers React's work.
    flushSync(() => root.render(<LivePanel {...props(data)} />));
    return { overridesMs: rendered - start, renderMs: performance.now() - rendered };
  };

  let recording = false;
  const updates: Array<{ start: number; duration: number; overridesMs: number; renderMs: number }> = [];
  const repaints: Array<{ start: number; duration: number }> = [];
  const modelMs: number[] = [];
  const longFrames: Array<{ duration: number; blocking: number; scripts: number }> = [];
  let longTasks = 0;

  new PerformanceObserver((list) => {
    if (recording) {
      for (const entry of list.getEntries()) {
        if (entry.name === REPAINT_MEASURE) {
          repaints.push({ start: entry.startTime, duration: entry.duration });
        } else if (entry.name === MODEL_MEASURE) {
          modelMs.push(entry.duration);
        }
      }
    }
  }).observe({ type: 'measure' });
  const supported = PerformanceObserver.supportedEntryTypes;
  if (supported.includes('long-animation-frame')) {
    new PerformanceObserver((list) => {
      if (recording) {
        for (const entry of list.getEntries() as Array<PerformanceEntry & { blockingDuration: number; scripts?: Array<{ duration: number }> }>) {
          const scripts = (entry.scripts ?? []).reduce((sum, s) => sum + s.duration, 0);
          longFrames.push({ duration: entry.duration, blocking: entry.blockingDuration, scripts });
        }
      }
    }).observe({ type: 'long-animation-frame' });
  }
  if (supported.includes('longtask')) {
    new PerformanceObserver((list) => {
      if (recording) {
        longTasks += list.getEntries().length;
      }
    }).observe({ type: 'longtask' });
  }
  const firstRender = performance.now();
  emit();
  await sleep(200);
  const firstRenderMs = performance.now() - firstRender;

  const interval = 1000 / config.rate;
  const timer = setInterval(() => {
    stream.step();
    const start = performance.now();
    const { overridesMs, renderMs } = emit();
    if (recording) {
      updates.push({ start, duration: performance.now() - start, overridesMs, renderMs });
    }
  }, interval);
  await sleep(config.warmupSeconds * 1000);
  await window.panecastBenchPhase?.('record');
  recording = true;
  const from = performance.now();
  await sleep(config.seconds * 1000);
  recording = false;
  const to = performance.now();
  clearInterval(timer);
  await window.panecastBenchPhase?.('stop');

  const legend = document.querySelectorAll('[data-testid="panecast-legend-item"]').length;
  const chartRepaints = Number((document.querySelector('[data-testid="panecast-chart"]') as HTMLElement | null)?.dataset.repaints);
  root.unmount();
  return {
    config,
    seconds: (to - from) / 1000,
    firstRenderMs,
    updates: updates.length,
    repaints: repaints.length,
    chartRepaints,
    legendItems: legend,
    updateMs: sample(updates.map((u) => u.duration)),
    fieldOverridesMs: sample(updates.map((u) => u.overridesMs)),
    reactRenderMs: sample(updates.map((u) => u.renderMs)),
    repaintMs: sample(repaints.map((r) => r.duration)),
    modelMs: sample(modelMs),
    longAnimationFrames: longFrames.length,
    longAnimationFrameMaxMs: longFrames.reduce((m, f) => Math.max(m, f.duration), 0),
    longTasks,
    longAnimationFramesSupported: supported.includes('long-animation-frame'),
  };
}

declare global {
  interface Window {
    panecastBench: { run(config: BenchConfig): Promise<BenchResult> };
    /** Set by the runner: takes Chromium's counters (and a screenshot at 'stop'). */
    panecastBenchPhase?: (phase: 'record' | 'stop') => Promise<void>;
  }
}

window.panecastBench = { run };
