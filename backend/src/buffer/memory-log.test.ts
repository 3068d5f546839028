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
