/** The collector correcting a sender's clock from its sent-at (sent-at.ts), with the in-memory log behind it. */
import { recordText } from '../buffer/event-log';
import { MemoryLog } from '../buffer/memory-log';
import { Collector, type IngestContext } from './collector';
import type { PanecastEvent } from './event';
import { decodeRecordEvents } from './event-records';
import { CLOCK_SKEW_THRESHOLD_MS } from './sent-at';

/** The collector's clock. */
const NOW = 1_800_000_000_000;
const FAST = 10 * 60_000;

function setup() {
  const log = new MemoryLog(1);
  const collector = new Collector(log, { maxBatchEvents: 100 }, () => NOW);
  let read = 0;
  /** Events appended since the last call. */
  const appended = (): PanecastEvent[] => {
    const records = log.records(0).slice(read);
    read += records.length;
    return records.flatMap((record) => decodeRecordEvents(recordText(record.value))).filter((e): e is PanecastEvent => e !== undefined);
  };
  return { collector, appended };
}

async function refusal(promise: Promise<unknown>): Promise<{ code?: string; details?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; details?: unknown };
  }
  throw new Error('expected a refusal');
}

describe('Collector clock correction', () => {
  it('accepts a batch from a clock 10 minutes fast, its times moved onto the collector clock', async () => {
    const { collector, appended } = setup();
    const device = NOW + FAST;
    // Tracked 3 s and 1 s before the device sent them; the last has no ts.
    const body = JSON.stringify([{ type: 'a', ts: device - 3000 }, { type: 'a', ts: new Date(device - 1000).toISOString() }, { type: 'a' }]);
    await expect(collector.ingest(body, 'json', { sentAt: device })).resolves.toBe(3);
    expect(appended().map((e) => [e.ts, e.tsSource])).toEqual([
      [NOW - 3000, 'event'],
      [NOW - 1000, 'event'],
      [NOW, 'ingest'],
    ]);
    expect(collector.stats.clockCorrectedBatches).toBe(1);
  });

  it('refuses the same batch without a sent-at, as before', async () => {
    const { collector } = setup();
    const error = await refusal(collector.ingest(JSON.stringify([{ type: 'a', ts: NOW + FAST }]), 'json'));
    expect(error.code).toBe('PANECAST_ERR_INVALID_EVENTS');
    expect(error.details).toMatchObject({ errors: [{ code: 'PANECAST_ERR_EVENT_TS_FUTURE' }] });
  });

  it('moves a slow clock’s times forward, NDJSON alike', async () => {
    const { collector, appended } = setup();
    const device = NOW - 3_600_000;
    const body = `{"type":"a","ts":${device - 500}}\n{"type":"b","ts":${device - 100}}\n`;
    await collector.ingest(body, 'ndjson', { sentAt: device });
    expect(appended().map((e) => e.ts)).toEqual([NOW - 500, NOW - 100]);
  });

  it('leaves a good clock’s times exactly as sent, transit within the threshold', async () => {
    const { collector, appended } = setup();
    const times = [NOW - 60_000, NOW - 2500, NOW - 7];
    const body = JSON.stringify(times.map((ts) => ({ type: 'a', ts })));
    // 3 s of transit, a clock 0.8 s fast, the threshold either way, no sent-at.
    for (const sentAt of [NOW, NOW - 3000, NOW + 800, NOW - CLOCK_SKEW_THRESHOLD_MS, NOW + CLOCK_SKEW_THRESHOLD_MS, undefined]) {
      const context: IngestContext = sentAt === undefined ? {} : { sentAt };
      await collector.ingest(body, 'json', context);
      expect(appended().map((e) => e.ts)).toEqual(times);
    }
    expect(collector.stats.clockCorrectedBatches).toBe(0);
  });

  it('checks the future bound on the corrected time', async () => {
    const { collector } = setup();
    const device = NOW + FAST;
    // Ten minutes ahead of its own send time: in the future by any clock.
    const error = await refusal(collector.ingest(JSON.stringify([{ type: 'a', ts: device + FAST }]), 'json', { sentAt: device }));
    expect(error.details).toMatchObject({ errors: [{ index: 0, code: 'PANECAST_ERR_EVENT_TS_FUTURE', field: 'ts' }] });
  });

  it('refuses an event the correction would move before 1970', async () => {
    const { collector } = setup();
    const error = await refusal(collector.ingest(JSON.stringify([{ type: 'a', ts: 1000 }]), 'json', { sentAt: NOW + 1_000_000 }));
    expect(error.details).toMatchObject({ errors: [{ index: 0, code: 'PANECAST_ERR_EVENT_TS', field: 'ts' }] });
  });

  it('keeps the batch id of a retry whose sent-at differs, and gives its events the same times', async () => {
    const log = new MemoryLog(1);
    let now = NOW;
    const collector = new Collector(log, { maxBatchEvents: 100 }, () => now);
    const device = (at: number) => at + FAST;
    const body = JSON.stringify([{ type: 'a', ts: device(NOW) - 2000 }]);
    await collector.ingest(body, 'json', { idempotencyKey: 'k1', sentAt: device(now) });
    // Retried 30 s later (backoff): the device stamps its new send time, the body is the same.
    now += 30_000;
    await collector.ingest(body, 'json', { idempotencyKey: 'k1', sentAt: device(now) });
    const [first, retry] = log.records(0).map((record) => decodeRecordEvents(recordText(record.value))[0]);
    expect(retry?.origin?.batch).toBe(first?.origin?.batch);
    expect(retry?.origin?.attempt).not.toBe(first?.origin?.attempt);
    expect([first?.ts, retry?.ts]).toEqual([NOW - 2000, NOW - 2000]);
  });
});
