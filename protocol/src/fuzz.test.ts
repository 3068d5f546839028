/**
 * Fuzz test of the client-frame parser, on the frames test/fuzz-frames.ts generates: random
 * bytes, random JSON, JSON-ish token soup and mutations of valid frames.
 *
 * Holds parseClientMessage to its contract on every frame: it returns, never
 * throws; the result is ok with a message that survives encode → parse
 * unchanged, or a known code with a bounded, fully filled message; and the
 * heap does not grow with the number of frames parsed.
 *
 * Reproducible: the seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_FRAMES=<n> lengthens it.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { SEED, TYPES, nextFrame } from '../test/fuzz-frames';
import { encode } from './client';
import { LIVE_ERROR_MESSAGES, type LiveErrorCode } from './codes';
import { DEFAULT_LIMITS } from './limits';
import { parseClientMessage, type ParseResult } from './parse';

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 20_000);
const BATCH = 1000;

const CODES = new Set([
  'PANECAST_ERR_FRAME_TOO_LARGE',
  'PANECAST_ERR_FRAME_TOO_DEEP',
  'PANECAST_ERR_FRAME_MALFORMED_JSON',
  'PANECAST_ERR_FRAME_NOT_OBJECT',
  'PANECAST_ERR_FRAME_UNKNOWN_TYPE',
  'PANECAST_ERR_FRAME_FIELD',
  'PANECAST_ERR_UNSUPPORTED_VERSION',
]);

/** A code's template as a pattern: the fixed text must appear, placeholders hold anything but themselves. */
function templateOf(code: string): RegExp {
  const template = LIVE_ERROR_MESSAGES[code as LiveErrorCode];
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\{(\w+)\}/g, (_, name: string) => `(?!\\{${name}\\})[\\s\\S]*`)}$`);
}

/** The contract on one result; returns a problem or undefined. */
function violation(frame: string, result: ParseResult): string | undefined {
  if (result.ok) {
    if (!TYPES.has(result.message.type)) return `ok with type ${result.message.type}`;
    const again = parseClientMessage(encode(result.message));
    if (!again.ok || JSON.stringify(again.message) !== JSON.stringify(result.message))
      return 'ok message does not survive encode → parse';
    if (encode(result.message).length > frame.length * 8 + 256) return 'ok message out of proportion to its frame';
    return undefined;
  }
  if (!CODES.has(result.code)) return `unknown code ${result.code}`;
  if (typeof result.message !== 'string' || result.message.length > 600) return 'unbounded error message';
  if (!templateOf(result.code).test(result.message)) return 'message does not fit its template';
  if (result.message.includes('could not be validated')) return 'the catch-all path was taken';
  if (result.id !== undefined && (typeof result.id !== 'string' || result.id.length > DEFAULT_LIMITS.maxIdLength))
    return 'bad id';
  return undefined;
}

function collectGarbage(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

interface Tally {
  counts: Map<string, number>;
  parseMs: number;
  bytes: number;
}

/** Generates and parses one batch; nothing of it outlives the call, so the heap can be compared between batches. */
function runBatch(size: number, tally: Tally): void {
  const frames = Array.from({ length: size }, nextFrame);
  for (const frame of frames) {
    tally.bytes += frame.length;
    let result: ParseResult;
    const t0 = performance.now();
    try {
      result = parseClientMessage(frame);
    } catch (error) {
      throw new Error(`threw ${String(error)} on seed ${SEED}, frame ${JSON.stringify(frame.slice(0, 300))}`);
    }
    tally.parseMs += performance.now() - t0;
    const problem = violation(frame, result);
    if (problem !== undefined) {
      throw new Error(
        `${problem} on seed ${SEED}, frame ${JSON.stringify(frame.slice(0, 300))}: ${JSON.stringify(result).slice(0, 300)}`,
      );
    }
    const key = result.ok ? `ok ${result.message.type}` : result.code;
    tally.counts.set(key, (tally.counts.get(key) ?? 0) + 1);
  }
}

it(`parses ${FRAMES} random and mutated frames within the contract (seed ${SEED})`, () => {
  const gc = collectGarbage();
  const tally: Tally = { counts: new Map(), parseMs: 0, bytes: 0 };
  const started = performance.now();
  // Two batches of warm-up (JIT, regex caches) before the heap baseline.
  runBatch(Math.min(2 * BATCH, FRAMES), tally);
  gc?.();
  const baseline = process.memoryUsage().heapUsed;
  for (let done = 2 * BATCH; done < FRAMES; done += BATCH) {
    runBatch(Math.min(BATCH, FRAMES - done), tally);
  }
  const elapsedMs = performance.now() - started;
  gc?.();
  const growth = process.memoryUsage().heapUsed - baseline;
  const { counts, parseMs, bytes } = tally;

  const summary = [...counts.entries()]
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  // One line of figures for the report and the docs.
  console.log(
    `fuzz: ${FRAMES} frames (${(bytes / 1e6).toFixed(1)} MB) in ${elapsedMs.toFixed(0)} ms with generation, ` +
      `${parseMs.toFixed(0)} ms parsing = ${Math.round(FRAMES / (parseMs / 1000))} frames/s; ` +
      `heap growth after warm-up ${(growth / 1e6).toFixed(2)} MB${gc ? '' : ' (no gc: indicative)'}; seed ${SEED}\n${summary}`,
  );

  // Every outcome is exercised, so the fuzzer is not stuck on one path.
  for (const key of ['ok hello', 'ok subscribe', 'ok unsubscribe', 'ok ping', ...CODES]) {
    expect(counts.get(key) ?? 0).toBeGreaterThan(0);
  }
  // No time limit here: speed is a benchmark's business, and this machine's load varies. The
  // parser's work per frame is bounded by construction (size and depth are checked before parsing).
  if (gc) {
    expect(growth).toBeLessThan(4 * 1024 * 1024);
  }
}, Math.max(30_000, FRAMES * 1.5));
