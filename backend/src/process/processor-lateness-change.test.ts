/**
 * A processor restarted with a shorter PANECAST_ALLOWED_LATENESS_MS: its
 * predecessor rolled fine panes up into 1-minute panes only as far back as
 * the old lateness allowed, and the restart loads fine panes only as far back
 * as the new one needs. The minutes in between were neither rolled up before
 * nor loaded after, so their 1-minute panes (what long windows and the
 * catalogue read once the fine panes are gone) were never built.
 */
import { join } from 'node:path';
import { MemoryLog } from '../buffer/memory-log';
import type { LogRecord } from '../buffer/event-log';
import { encodeEvent, type PanecastEvent } from '../collect/event';
import { loadMetricFiles } from '../metrics-files';
import { MemoryPaneState } from '../store/memory-pane-state';
import { ByteReader } from '../window/aggregates/bytes';
import { readSummary } from '../window/aggregates/summary';
import { Processor } from './processor';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const MINUTE = 60_000;
const T0 = 30_000_000 * MINUTE;
/** One event every 10 s: 6 a minute. */
const STEP = 10_000;

const record = (offset: number, ts: number): LogRecord => {
  const event: PanecastEvent = { type: 'click', ts, tsSource: 'event', fields: {} };
  return { partition: 0, offset, key: 'click', value: encodeEvent(event), timestamp: ts };
};

function processor(state: MemoryPaneState, allowedLatenessMs: number): Processor {
  return new Processor(new MemoryLog(2), state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: { allowedLatenessMs } });
}

/** The count of each minute as stored in the 1-minute tier (0 where no pane was built). */
async function minuteTier(state: MemoryPaneState, minutes: number): Promise<number[]> {
  const starts = Array.from({ length: minutes }, (_, i) => T0 + i * MINUTE);
  const counts = new Map<number, number>();
  const reader = new ByteReader(new Uint8Array(0), 'stored partial');
  for (const partials of (await state.readPanes('events', MINUTE, starts)).values()) {
    for (const partial of partials) {
      reader.load(partial.bytes);
      reader.u8(); // partial format
      reader.u8(); // flags
      counts.set(partial.paneStart, (counts.get(partial.paneStart) ?? 0) + readSummary(reader).count);
    }
  }
  return starts.map((start) => counts.get(start) ?? 0);
}

it('rolls up, after a restart with a shorter allowed lateness, the minutes the old one still held open', async () => {
  const state = new MemoryPaneState();
  const first = Array.from({ length: (15 * MINUTE) / STEP }, (_, i) => record(i, T0 + i * STEP));
  await processor(state, 10 * MINUTE).onBatch({ partition: 0, records: first });
  // Watermark ≈ 15 min, lateness 10 min: minutes 0–3 rolled up, 4–14 still fine panes only.
  expect(await minuteTier(state, 15)).toEqual([6, 6, 6, 6, ...Array(11).fill(0)]);

  const next = Array.from({ length: 6 }, (_, i) => record(first.length + i, T0 + 15 * MINUTE + i * STEP));
  await processor(state, MINUTE).onBatch({ partition: 0, records: next });
  // Watermark ≈ 16 min, lateness 1 min: every minute up to the 14th is rolled up, none missing.
  expect(await minuteTier(state, 16)).toEqual([...Array(14).fill(6), 0, 0]);
});
