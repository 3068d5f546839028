import { PartitionWatermarks, watermarkOver } from './watermark';

describe('PartitionWatermarks', () => {
  const options = { outOfOrdernessMs: 2000, idleMs: 1000 };

  it('rejects negative out-of-orderness and non-positive idleness', () => {
    expect(() => new PartitionWatermarks({ outOfOrdernessMs: -1, idleMs: 1 })).toThrow(/outOfOrdernessMs/);
    expect(() => new PartitionWatermarks({ outOfOrdernessMs: 0, idleMs: 0 })).toThrow(/idleMs/);
  });

  it('is the max event time minus the allowed out-of-orderness', () => {
    const marks = new PartitionWatermarks(options);
    marks.assign([0], 0);
    marks.observe(0, 10_000, 0);
    marks.observe(0, 9_000, 0);
    expect(marks.advance(0)).toBe(8_000);
  });

  it('is the minimum over active partitions', () => {
    const marks = new PartitionWatermarks(options);
    marks.assign([0, 1], 0);
    marks.observe(0, 10_000, 100);
    marks.observe(1, 5_000, 100);
    expect(marks.advance(200)).toBe(3_000);
  });

  it('lets an idle partition stop holding the others back, following the wall clock', () => {
    const marks = new PartitionWatermarks(options);
    marks.assign([0, 1], 0);
    marks.observe(0, 50_000, 0);
    marks.observe(1, 5_000, 0);
    expect(marks.advance(500)).toBe(3_000);
    // Partition 1 silent for over 1 s follows now − 2 s (49 000); active partition 0 holds at 48 000.
    marks.observe(0, 50_000, 50_500);
    expect(marks.advance(51_000)).toBe(48_000);
    // Partition 0 idle too: both follow the wall clock.
    expect(marks.advance(60_000)).toBe(58_000);
  });

  it('never moves backwards', () => {
    const marks = new PartitionWatermarks(options);
    marks.assign([0], 0);
    marks.observe(0, 10_000, 0);
    expect(marks.advance(0)).toBe(8_000);
    marks.assign([0, 1], 10);
    marks.observe(1, 1_000, 10);
    expect(marks.advance(10)).toBe(8_000);
  });

  it('forgets partitions that are no longer assigned', () => {
    const marks = new PartitionWatermarks(options);
    marks.assign([0, 1], 0);
    marks.observe(0, 10_000, 0);
    marks.observe(1, 3_000, 0);
    expect(marks.advance(0)).toBe(1_000);
    marks.assign([0], 0);
    expect(marks.advance(0)).toBe(8_000);
  });
});

describe('watermarkOver', () => {
  const options = { outOfOrdernessMs: 2000, idleMs: 1000 };

  it('is -Infinity without partitions', () => {
    expect(watermarkOver([], 10_000, options)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('is the minimum over partitions, idle ones following the wall clock', () => {
    const partitions = [
      { maxEventTime: 50_000, lastActivity: 59_900 },
      { maxEventTime: 5_000, lastActivity: 100 },
    ];
    expect(watermarkOver(partitions, 60_000, options)).toBe(48_000);
    expect(watermarkOver([{ maxEventTime: 50_000, lastActivity: 59_900 }, { maxEventTime: 5_000, lastActivity: 59_900 }], 60_000, options)).toBe(3_000);
  });
});
