import { recordText, type RecordBatch } from './event-log';
import { MemoryLog } from './memory-log';

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('MemoryLog', () => {
  it('rejects a partition count that is not a positive integer', () => {
    expect(() => new MemoryLog(0)).toThrow(RangeError);
  });

  it('keeps one key in one partition, in order, with increasing offsets', async () => {
    const log = new MemoryLog(4);
    const batches: RecordBatch[] = [];
    const consumer = await log.consume('g', { onBatch: async (batch) => void batches.push(batch) });
    await log.append(Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: String(i), timestamp: i })));
    await until(() => batches.reduce((sum, batch) => sum + batch.records.length, 0) === 50);
    const byKey = new Map<string, { partition: number; values: number[] }>();
    for (const batch of batches) {
      batch.records.forEach((record, i) => {
        if (i > 0) {
          expect(record.offset).toBeGreaterThan((batch.records[i - 1] as { offset: number }).offset);
        }
        const entry = byKey.get(recordText(record.key)) ?? { partition: record.partition, values: [] };
        expect(entry.partition).toBe(record.partition);
        entry.values.push(Number(recordText(record.value)));
        byKey.set(recordText(record.key), entry);
      });
    }
    for (const { values } of byKey.values()) {
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    await consumer.stop();
  });

  it('resumes a group from its committed offsets and splits partitions between members', async () => {
    const log = new MemoryLog(4);
    const seen: string[] = [];
    const first = await log.consume('g', { onBatch: async (batch) => void seen.push(...batch.records.map((r) => recordText(r.value))) });
    await log.append(Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `a${i}`, timestamp: i })));
    await until(() => seen.length === 20);
    await first.stop();

    const assignments: number[][] = [];
    const second = await log.consume('g', {
      onAssign: (partitions) => assignments.push([...partitions]),
      onBatch: async (batch) => void seen.push(...batch.records.map((r) => recordText(r.value))),
    });
    const third = await log.consume('g', { onBatch: async (batch) => void seen.push(...batch.records.map((r) => recordText(r.value))) });
    await log.append(Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `b${i}`, timestamp: i })));
    await until(() => seen.length === 40);
    expect(new Set(seen).size).toBe(40);
    expect(assignments[assignments.length - 1]).toHaveLength(2);
    await Promise.all([second.stop(), third.stop()]);
  });

  it('redelivers a batch whose handler failed, and keeps consuming', async () => {
    const log = new MemoryLog(1);
    let failures = 1;
    const seen: string[] = [];
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const consumer = await log.consume('g', {
      onBatch: async (batch) => {
        if (failures-- > 0) {
          throw new Error('boom');
        }
        seen.push(...batch.records.map((r) => recordText(r.value)));
      },
    });
    await log.append([{ key: 'k', value: 'x', timestamp: 0 }]);
    await until(() => seen.length === 1);
    expect(seen).toEqual(['x']);
    expect(errors).toHaveBeenCalled();
    errors.mockRestore();
    await consumer.stop();
  });
});

describe('MemoryLog retention', () => {
  const append = (log: MemoryLog, n: number, from = 0) => log.append(Array.from({ length: n }, (_, i) => ({ key: 'k', value: String(from + i), timestamp: from + i })));

  it('keeps only a tail of what every group committed, offsets counting on', async () => {
    // Records of 1 key byte and 1–4 value bytes: about 100 of them.
    const log = new MemoryLog(1, { retainBytes: 500 });
    const seen: number[] = [];
    const consumer = await log.consume('g', { onBatch: async (batch) => void seen.push(...batch.records.map((record) => record.offset)) });
    for (let round = 0; round < 10; round++) {
      await append(log, 1000, round * 1000);
      await until(() => seen.length === (round + 1) * 1000);
    }
    // Everything delivered once, in order, though most of it is gone from memory.
    expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    const held = log.records(0);
    const bytes = held.reduce((sum, record) => sum + String(record.key).length + String(record.value).length, 0);
    expect(bytes).toBeGreaterThanOrEqual(500 - 5);
    expect(bytes).toBeLessThanOrEqual(1000 + 5);
    expect(held.at(-1)?.offset).toBe(9999);
    expect(held[0]?.offset).toBe(10_000 - held.length);
    expect(await log.endOffsets()).toEqual(new Map([[0, 10_000]]));
    expect(log.sizes()).toEqual([10_000]);
    await append(log, 1, 10_000);
    await until(() => seen.length === 10_001);
    expect(seen.at(-1)).toBe(10_000);
    await consumer.stop();
  });

  it('drops nothing a group has not committed yet', async () => {
    const log = new MemoryLog(1, { retainBytes: 10 });
    let fast = 0;
    const quick = await log.consume('fast', { onBatch: async (batch) => void (fast += batch.records.length) });
    // A second group whose handler fails: it commits nothing, so nothing may go.
    const stuck = await log.consume('stuck', {
      onBatch: async () => {
        throw new Error('not now');
      },
    });
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await append(log, 5000);
      await until(() => fast === 5000);
      expect(log.records(0).length).toBe(5000);
    } finally {
      await stuck.stop();
      await quick.stop();
      error.mockRestore();
    }
  });

  it('keeps the newest late records only', async () => {
    // Records of 2 bytes each (key and value): 3 of them.
    const log = new MemoryLog(1, { retainBytes: 6 });
    await log.appendLate(Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: String(i), timestamp: i })));
    expect(log.late.map((record) => record.value)).toEqual(['2', '3', '4']);
  });
});
