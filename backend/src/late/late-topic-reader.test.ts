import type { RecordsBatch } from '@platformatic/kafka';
import { batchRecords } from './late-topic-reader';

function batch(attributes: number, firstOffset: bigint): RecordsBatch {
  const record = (offsetDelta: number, timestampDelta: bigint, value: string | null, headers: Array<[string, string]>) => ({
    length: 0,
    attributes: 0,
    timestampDelta,
    offsetDelta,
    key: null,
    value: value === null ? null : Buffer.from(value),
    headers: headers.map(([name, text]): [Buffer, Buffer] => [Buffer.from(name), Buffer.from(text)]),
  });
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: 2,
    firstTimestamp: 1000n,
    maxTimestamp: 9000n,
    producerId: 0n,
    producerEpoch: 0,
    firstSequence: 0,
    records: [record(0, 0n, '{"a":1}', [['panecast-source', '0/1/2']]), record(1, 5n, null, []), record(2, 7n, 'é', [])],
  };
}

describe('batchRecords', () => {
  it('takes the batch time of a broker-stamped batch (LogAppendTime) as every record’s write time', () => {
    expect(batchRecords(batch(1 << 3, 40n), 4, 0, 100)).toEqual([
      { partition: 4, offset: 40, timestamp: 9000, timestampType: 'append', value: '{"a":1}', headers: { 'panecast-source': '0/1/2' } },
      { partition: 4, offset: 41, timestamp: 9000, timestampType: 'append', value: undefined, headers: {} },
      { partition: 4, offset: 42, timestamp: 9000, timestampType: 'append', value: 'é', headers: {} },
    ]);
  });

  it('takes each record’s own time from a producer-stamped batch (CreateTime)', () => {
    expect(batchRecords(batch(0, 40n), 4, 0, 100).map(({ timestamp, timestampType }) => [timestamp, timestampType])).toEqual([
      [1000, 'create'],
      [1005, 'create'],
      [1007, 'create'],
    ]);
  });

  it('keeps only the offsets of the range, and nothing of a control batch', () => {
    expect(batchRecords(batch(0, 40n), 4, 41, 42).map(({ offset }) => offset)).toEqual([41]);
    expect(batchRecords(batch(1 << 5, 40n), 4, 0, 100)).toEqual([]);
  });
});
