/**
 * Shared by the benchmark scripts: timing, medians, a printed table and the
 * JSON written under bench/results/ with the machine it ran on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The q-quantile (0..1) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Milliseconds spent in `run`. */
export function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) {
    collect();
    collect();
  }
}

export function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) {
    return;
  }
  const columns = Object.keys(rows[0] as object);
  const cell = (value: string | number | undefined) =>
    typeof value === 'number' ? (Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3)) : (value ?? '');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i] as number)).join(' | ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) {
    console.log(line(columns.map((c) => cell(row[c]))));
  }
}

/** Writes bench/results/<name>.json with the figures and the machine they came from. */
export function writeResults(name: string, results: unknown): string {
  const directory = join(__dirname, 'results');
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${name}.json`);
  const machine = cpus();
  const document = {
    benchmark: name,
    date: new Date().toISOString(),
    node: process.version,
    cores: machine.length,
    cpu: machine[0]?.model ?? 'unknown',
    results,
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return `bench/results/${name}.json`;
}

/** mulberry32: seeded, fast, good enough for load generation. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `--<name>=<integer>` from the command line, checked against [min, max]; `fallback` when absent. */
export function option(name: string, fallback: number, min: number, max: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be an integer in ${min}..${max}`);
  }
  return value;
}

/** `--<name>=a,b,c` integers in [min, max] (ascending when asked); `fallback` when absent. */
export function integerList(name: string, fallback: readonly number[], min: number, max: number, ascending = false): number[] {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const list = arg === undefined ? [...fallback] : arg.slice(name.length + 3).split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < min || n > max) || (ascending && list.some((n, i) => i > 0 && n <= (list[i - 1] as number)))) {
    throw new Error(`--${name} must be ${ascending ? 'ascending ' : ''}integers in ${min}..${max}, comma-separated`);
  }
  return list;
}
