/**
 * CPU per process from /proc/<pid>/stat (user + sys, all threads) and of the
 * whole machine from /proc/stat, over an interval: where the cores went.
 * "other" is the machine minus the named processes: unrelated work sharing
 * the cores (other engineers' tests on this machine).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const TICKS_PER_SECOND = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout;
  const ticks = Number(out.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** user + sys milliseconds of a process (all its threads); undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    const text = readFileSync(join('/proc', String(pid), 'stat'), 'utf8');
    // Fields after the command name, which may itself contain spaces and ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total milliseconds of the whole machine (all cores). */
function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync(join('/proc', 'stat'), 'utf8').split('\n', 1)[0] as string;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] as number) + (ticks[4] as number);
  return { busy: ((total - idle) * 1000) / TICKS_PER_SECOND, total: (total * 1000) / TICKS_PER_SECOND };
}

/** CPU in % of one core over an interval, per named process, plus `machine`, `other` and `wallMs`. */
export type CpuFigures = Record<string, number>;

export class CpuMeter {
  private readonly start = new Map<string, number>();
  private readonly startMachine = machineCpuMs();
  private readonly startWall = performance.now();

  constructor(private readonly pids: ReadonlyMap<string, number>) {
    for (const [name, pid] of pids) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) {
        this.start.set(name, ms);
      }
    }
  }

  stop(): CpuFigures {
    const wall = performance.now() - this.startWall;
    const figures: CpuFigures = {};
    if (wall < 200) {
      // Too short for tick-based counters (10 ms ticks) to mean anything.
      return figures;
    }
    let known = 0;
    for (const [name, pid] of this.pids) {
      const before = this.start.get(name);
      const after = processCpuMs(pid);
      if (before !== undefined && after !== undefined) {
        figures[name] = ((after - before) / wall) * 100;
        known += figures[name] as number;
      }
    }
    const machine = machineCpuMs();
    const machineBusy = ((machine.busy - this.startMachine.busy) / (machine.total - this.startMachine.total)) * cpus().length * 100;
    figures.machine = machineBusy;
    figures.other = Math.max(0, machineBusy - known);
    figures.wallMs = wall;
    return figures;
  }
}

/** CPU microseconds of `name` per event over a meter's interval. */
export function usPerEvent(cpu: CpuFigures, name: string, events: number): number {
  const percent = cpu[name];
  const wallMs = cpu.wallMs;
  return percent === undefined || wallMs === undefined || events <= 0 ? Number.NaN : ((percent / 100) * wallMs * 1000) / events;
}
