/**
 * Records as the Kafka adapter hands them (Buffers, not strings), bad bytes,
 * and batches of different partitions in flight at once (the adapter runs
 * partitions side by side).
 */
import { join } from 'node:path';
import type { LogRecord } from '../buffer/event-log';
import { MemoryLog } from '../buffer/memory-log';
import { encodeEvent, type PanecastEvent } from '../collect/event';
import { RecordPacker } from '../collect/event-records';
import { loadMetricFiles } from '../metrics-files';
import { MemoryPaneState } from '../store/memory-pane-state';
import type { CommitOutcome, PartitionCommit } from '../store/pane-state';
import { Processor } from './processor';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'metrics'));
const T0 = 1_800_000_000_000;

function event(i: number): PanecastEvent {
  return {
    type: 'http_request',
    ts: T0 + i * 7,
    tsSource: 'event',
    fields: { service: `svc-${i % 3}`, route: i % 2 === 0 ? '/v1/items' : '/v1/läden', method: 'GET', status: i % 10 === 0 ? 503 : 200, duration_ms: 10 + (i % 50) * 1.5, client_id: `c${i % 11}` },
  };
}

function record(partition: number, offset: number, value: string | Uint8Array, key: string | Uint8Array = 'http_request'): LogRecord {
  return { partition, offset, key, value, timestamp: T0 };
}

function processor(state: MemoryPaneState, log = new MemoryLog(2)): Processor {
  return new Processor(log, state, definitions, { groupId: 'g', outOfOrdernessMs: 2000, engine: {} });
}

/** Every stored cell of a partition as text, for comparing two stores. */
async function cells(state: MemoryPaneState, partition: number): Promise<string[]> {
  const { partials } = await state.loadPartition(partition, () => Number.NEGATIVE_INFINITY);
  return partials.map((p) => `${p.metric} ${p.resolutionMs} ${p.paneStart} ${p.seriesKey} ${Buffer.from(p.bytes).toString('hex')}`).sort();
}

describe('Processor on records as bytes', () => {
  it('stores the same cells from Buffers as from strings', async () => {
    const texts = Array.from({ length: 400 }, (_, i) => encodeEvent(event(i)));
    const fromStrings = new MemoryPaneState();
    const fromBytes = new MemoryPaneState();
    await processor(fromStrings).onBatch({ partition: 0, records: texts.map((text, i) => record(0, i, text)) });
    // A view into a larger buffer, as kafkajs hands values (slices of the fetch response).
    const whole = Buffer.from(texts.join(''));
    let at = 0;
    const views = texts.map((text, i) => {
      const length = Buffer.byteLength(text);
      const view = record(0, i, new Uint8Array(whole.buffer, whole.byteOffset + at, length), Buffer.from('http_request'));
      at += length;
      return view;
    });
    const p = processor(fromBytes);
    await p.onBatch({ partition: 0, records: views });
    expect(p.snapshot()).toMatchObject({ consumed: 400, undecodable: 0 });
    const expected = await cells(fromStrings, 0);
    expect(expected.length).toBeGreaterThan(20);
    expect(await cells(fromBytes, 0)).toEqual(expected);
  });

  it('counts records whose bytes are not an event as undecodable and applies the rest', async () => {
    const bad = [
      Buffer.alloc(0),
      Buffer.from([0xff, 0xfe, 0x7b]),
      Buffer.from('{"type":"a","ts":'),
      Buffer.from('[]'),
      Buffer.from('"text"'),
      Buffer.from('{"type":"a","ts":"soon"}'),
      Buffer.from('{"type":"a","ts":1e999}'),
      Buffer.from('{"type":"a","ts":1,"tenant":"Not A Tenant"}'),
    ];
    const state = new MemoryPaneState();
    const p = processor(state);
    const batch = [record(0, 0, Buffer.from(encodeEvent(event(0)))), ...bad.map((bytes, i) => record(0, i + 1, bytes)), record(0, bad.length + 1, Buffer.from(encodeEvent(event(1))))];
    await p.onBatch({ partition: 0, records: batch });
    expect(p.snapshot()).toMatchObject({ consumed: 2, undecodable: bad.length, commits: 1 });
    // The offset moved past the bad records: a redelivery skips them.
    await p.onBatch({ partition: 0, records: batch });
    expect(p.snapshot()).toMatchObject({ consumed: 2, duplicatesSkipped: batch.length });
  });

  it('sends a too-late record to the late topic with its key as text', async () => {
    const log = new MemoryLog(1);
    const p = processor(new MemoryPaneState(), log);
    const late = { ...event(1), ts: T0 - 3_600_000 };
    await p.onBatch({
      partition: 0,
      records: [record(0, 0, Buffer.from(encodeEvent(event(0)))), record(0, 1, Buffer.from(encodeEvent(late)), Buffer.from('http_request:k1')), record(0, 2, Buffer.from(encodeEvent(late)), Buffer.alloc(0))],
    });
    expect(log.late.map((r) => [r.key, r.timestamp])).toEqual([
      ['http_request:k1', late.ts],
      [undefined, late.ts],
    ]);
    // Where each was read (partition/offset/index): a copy a crash re-sends carries the same source.
    expect(log.late.map((r) => r.headers)).toEqual([{ 'panecast-source': '0/1/0' }, { 'panecast-source': '0/2/0' }]);
    expect(p.snapshot().tooLate).toBe(2);
  });

  it('handles batches of different partitions in flight at once as it would one after the other', async () => {
    const batchOf = (partition: number) => Array.from({ length: 300 }, (_, i) => record(partition, i, encodeEvent(event(i * (partition + 1)))));
    const sequential = new MemoryPaneState();
    const one = processor(sequential);
    await one.onBatch({ partition: 0, records: batchOf(0) });
    await one.onBatch({ partition: 1, records: batchOf(1) });

    // Commits that wait until both batches are in: neither partition's work may see the other's.
    const overlapped = new MemoryPaneState();
    const commit = overlapped.commit.bind(overlapped);
    const waiting: Array<() => void> = [];
    overlapped.commit = (c: PartitionCommit) =>
      new Promise<CommitOutcome>((resolve, reject) => {
        waiting.push(() => commit(c).then(resolve, reject));
        if (waiting.length === 2) {
          waiting.splice(0).reverse().forEach((go) => go());
        }
      });
    const two = processor(overlapped);
    await Promise.all([two.onBatch({ partition: 0, records: batchOf(0) }), two.onBatch({ partition: 1, records: batchOf(1) })]);
    expect(two.snapshot()).toMatchObject({ consumed: 600, commits: 2, failedCommits: 0, partitions: [0, 1] });
    for (const partition of [0, 1]) {
      expect(await cells(overlapped, partition)).toEqual(await cells(sequential, partition));
    }
  });

  it('applies packed records (several events of one key per record) as the same events one per record', async () => {
    const events = Array.from({ length: 1200 }, (_, i) => event(i));
    const single = new MemoryPaneState();
    await processor(single).onBatch({ partition: 0, records: events.map((e, i) => record(0, i, encodeEvent(e))) });

    const packer = new RecordPacker();
    events.forEach((e) => packer.add(e));
    const packed = packer.records();
    expect(packed.map((r) => r.value.startsWith('['))).toEqual([true, true, true]);
    const state = new MemoryPaneState();
    const p = processor(state);
    const batch = packed.map((r, i) => record(0, i, Buffer.from(r.value), Buffer.from(r.key ?? '')));
    await p.onBatch({ partition: 0, records: batch });
    expect(p.snapshot()).toMatchObject({ consumed: 1200, undecodable: 0, commits: 1 });
    expect(await cells(state, 0)).toEqual(await cells(single, 0));
    // A redelivered batch is skipped record by record: none of its events counts twice.
    await p.onBatch({ partition: 0, records: batch });
    expect(p.snapshot()).toMatchObject({ consumed: 1200, duplicatesSkipped: 3 });
    expect(await cells(state, 0)).toEqual(await cells(single, 0));
  });

  it('counts what in a packed record is not an event, applies its events, and sends its late ones keyed as the record', async () => {
    const log = new MemoryLog(1);
    const p = processor(new MemoryPaneState(), log);
    const late = { ...event(2), ts: T0 - 3_600_000 };
    const value = `[${encodeEvent(event(0))},1,${encodeEvent(late)},{"type":"a"},${encodeEvent(event(1))}]`;
    await p.onBatch({ partition: 0, records: [record(0, 0, Buffer.from(value), Buffer.from('http_request'))] });
    expect(p.snapshot()).toMatchObject({ consumed: 3, undecodable: 2, tooLate: 1, commits: 1 });
    expect(log.late.map((r) => [r.key, r.timestamp])).toEqual([['http_request', late.ts]]);
    expect(log.late[0]?.headers).toEqual({ 'panecast-source': '0/0/2' });
  });
});
