/** The progress line: rate achieved, errors, elapsed and ETA. */
import type { TargetStats } from './targets';

function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

export interface ProgressInput {
  target: string;
  elapsedMs: number;
  /** Infinity when running until interrupted. */
  durationMs: number;
  generated: number;
  stats: TargetStats;
  /** Accepted per second over the last interval. */
  rate: number;
  targetRate: number;
  /** The last line, once everything queued was sent or given up. */
  final?: boolean;
}

export function formatProgress(p: ProgressInput): string {
  const time = p.final
    ? `done in ${clock(p.elapsedMs)}`
    : Number.isFinite(p.durationMs)
    ? `${clock(p.elapsedMs)} / ${clock(p.durationMs)} ETA ${clock(p.durationMs - p.elapsedMs)}`
    : `${clock(p.elapsedMs)} (until Ctrl-C)`;
  return [
    `loadgen ${p.target}`,
    time,
    `${count(p.rate)}/s of ${count(p.targetRate)}/s`,
    `generated ${count(p.generated)}`,
    `accepted ${count(p.stats.accepted)}`,
    `queued ${count(p.stats.queued)}`,
    `errors ${count(p.stats.errors)}`,
    `lost ${count(p.stats.lost)}`,
  ].join(' | ');
}
