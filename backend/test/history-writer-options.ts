/**
 * The history writer's options as the writer tests run it: 1 s panes, the
 * defaults of a backend (2 s out-of-orderness, 3 s idleness, 60 s lateness,
 * 1 h fine tier), no hold; a test overrides what it is about.
 */
import type { HistoryWriterOptions } from '../src/process/history-writer';

export function writerOptions(overrides: Partial<HistoryWriterOptions> = {}): HistoryWriterOptions {
  return {
    paneMs: 1000,
    outOfOrdernessMs: 2000,
    idleMs: 3000,
    allowedLatenessMs: 60_000,
    tickMs: 1000,
    maxPanesPerTick: 1000,
    initialLookbackMs: 60_000,
    retentionMs: 3_660_000,
    holdMs: 0,
    ...overrides,
  };
}
