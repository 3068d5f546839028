/**
 * Reads a Chromium trace (categories devtools.timeline) of the benchmark page: per animation
 * frame, the CPU time of the renderer main thread spent in scripting and in rendering. CPU
 * time (`tdur`), not wall time, because the benchmark shares its cores with other work: a
 * descheduled thread inflates wall times but not what the page itself costs.
 */
import { type Sample } from './protocol';

/** One trace event, as much of it as this file reads. */
export interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  /** Start, µs. */
  ts: number;
  /** Wall duration, µs (complete events). */
  dur?: number;
  /** Thread (CPU) duration, µs (complete events). */
  tdur?: number;
  args?: { name?: string };
}

/** Events that run JavaScript; nested ones are counted once, through the outermost. */
const SCRIPTING = new Set(['FunctionCall', 'FireAnimationFrame', 'TimerFire', 'EvaluateScript', 'EventDispatch', 'v8.compile']);
/** Events of the rendering pipeline on the main thread. */
const RENDERING = new Set(['Layout', 'UpdateLayoutTree', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'UpdateLayer']);

export interface TraceFigures {
  frames: number;
  /** Frames with scripting: the page runs JavaScript only for updates and the panel's repaints. */
  framesWithScripting: number;
  /** Scripting CPU ms per frame, frames with scripting only. */
  scriptingCpuMs: Sample;
  framesOver16msCpu: number;
  /** Scripting wall ms per frame, same frames (inflated by other work on the cores). */
  scriptingWallMs: Sample;
  framesOver16msWall: number;
  /** Intervals between frame starts, ms. */
  frameIntervalMs: Sample;
  /** Rendering CPU ms per frame (style, layout, paint, commit; canvas raster is in commit here). */
  renderingCpuMs: Sample;
  /** Animation-frame callbacks: the panel's repaints (the page has no other). */
  repaintCpuMs: Sample;
  /** Timer callbacks: the simulated datasource's updates (field config + React render). */
  updateCpuMs: Sample;
}

export function sample(values: readonly number[]): Sample {
  if (values.length === 0) {
    return { count: 0, median: Number.NaN, p95: Number.NaN, max: Number.NaN };
  }
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  return { count: sorted.length, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] as number };
}

export function analyzeTrace(events: readonly TraceEvent[]): TraceFigures {
  const main = new Set(
    events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`)
  );
  const onMain = events.filter((e) => main.has(`${e.pid}:${e.tid}`));
  // Frame boundaries: the start of each animation frame the renderer produced.
  const frameStarts = onMain
    .filter((e) => e.name === 'AnimationFrame' && e.ph === 'b')
    .map((e) => e.ts)
    .sort((a, b) => a - b);
  const complete = onMain.filter((e) => e.ph === 'X').sort((a, b) => a.ts - b.ts);

  const scripting: TraceEvent[] = [];
  let outerEnd = -Infinity;
  for (const e of complete) {
    if (SCRIPTING.has(e.name) && e.ts >= outerEnd) {
      scripting.push(e);
      outerEnd = e.ts + (e.dur ?? 0);
    }
  }
  const rendering = complete.filter((e) => RENDERING.has(e.name));

  // Sums per frame interval [start_i, start_i+1) of the events starting in it.
  const perFrame = (list: readonly TraceEvent[], pick: (e: TraceEvent) => number) => {
    const sums = new Array<number>(Math.max(0, frameStarts.length - 1)).fill(0);
    let f = 0;
    for (const e of list) {
      while (f + 1 < frameStarts.length && e.ts >= (frameStarts[f + 1] as number)) {
        f++;
      }
      if (f + 1 < frameStarts.length && e.ts >= (frameStarts[f] as number)) {
        sums[f] = (sums[f] as number) + pick(e) / 1000;
      }
    }
    return sums;
  };
  const cpu = perFrame(scripting, (e) => e.tdur ?? 0);
  const wall = perFrame(scripting, (e) => e.dur ?? 0);
  const withScripting = cpu.map((_, i) => i).filter((i) => (cpu[i] as number) > 0);
  const cpuWork = withScripting.map((i) => cpu[i] as number);
  const wallWork = withScripting.map((i) => wall[i] as number);
  return {
    frames: frameStarts.length,
    framesWithScripting: withScripting.length,
    scriptingCpuMs: sample(cpuWork),
    framesOver16msCpu: cpuWork.filter((v) => v > 16).length,
    scriptingWallMs: sample(wallWork),
    framesOver16msWall: wallWork.filter((v) => v > 16).length,
    frameIntervalMs: sample(frameStarts.slice(1).map((t, i) => (t - (frameStarts[i] as number)) / 1000)),
    renderingCpuMs: sample(perFrame(rendering, (e) => e.tdur ?? 0).filter((v) => v > 0)),
    repaintCpuMs: sample(scripting.filter((e) => e.name === 'FireAnimationFrame').map((e) => (e.tdur ?? 0) / 1000)),
    updateCpuMs: sample(scripting.filter((e) => e.name === 'TimerFire').map((e) => (e.tdur ?? 0) / 1000)),
  };
}
