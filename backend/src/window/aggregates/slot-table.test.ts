import { SlotTable } from './slot-table';

/** A slot's entries as collect() returns them. */
function collected(table: SlotTable, slot: number): Array<[number, number]> {
  const scratch = { keys: new Int32Array(4), values: new Float64Array(4) };
  const n = table.collect(slot, scratch);
  return Array.from({ length: n }, (_, i) => [scratch.keys[i] as number, scratch.values[i] as number]);
}

/** Keys in a scrambled order, negative ones included (sketch bins of values below 1). */
function scrambled(n: number, seed: number): number[] {
  const keys = Array.from({ length: n }, (_, i) => (i - Math.floor(n / 3)) * 4 + 1);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = (i * 7919 + seed) % (i + 1);
    [keys[i], keys[j]] = [keys[j] as number, keys[i] as number];
  }
  return keys;
}

describe('SlotTable.collect', () => {
  it.each([1, 5, 48, 49, 300, 5000])('returns %i entries of a slot sorted by key, each with its own value', (n) => {
    const table = new SlotTable('sum');
    const keys = scrambled(n, n);
    keys.forEach((key, i) => {
      table.add(1, key, i + 1);
      table.add(0, key, 1); // another slot, interleaved: must not leak into slot 1
    });
    keys.forEach((key, i) => table.add(1, key, 0.5 * (i + 1))); // sums, not new entries
    const expected = keys.map((key, i) => [key, 1.5 * (i + 1)] as [number, number]).sort((a, b) => a[0] - b[0]);
    expect(collected(table, 1)).toEqual(expected);
    // The same after grouping by slot (the bulk read a drain uses).
    table.groupBySlot();
    expect(collected(table, 1)).toEqual(expected);
    expect(collected(table, 0)).toHaveLength(n);
  });

  it('keeps the largest value per key for max tables and skips cleared slots', () => {
    const table = new SlotTable('max');
    for (const key of scrambled(100, 3)) {
      table.add(2, key, 3);
      table.add(2, key, 9);
      table.add(2, key, 5);
    }
    expect(collected(table, 2).every(([, value]) => value === 9)).toBe(true);
    table.clearSlot(2);
    expect(collected(table, 2)).toEqual([]);
    table.add(2, 7, 4);
    expect(collected(table, 2)).toEqual([[7, 4]]);
  });
});
