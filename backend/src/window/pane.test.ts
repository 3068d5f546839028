import { ByteReader } from './aggregates/bytes';
import { HyperLogLog } from './aggregates/hyperloglog';
import { createSketch, serializeSketch, type QuantileSketch } from './aggregates/quantile-sketch';
import { Pane, type PaneLayout } from './pane';

const layout: PaneLayout = { measure: true, sketch: true, distinct: true, hllPrecision: 14 };
const hints = { slots: 4, sketchEntries: 0, hllEntries: 0 };

/** Slot 0: a few values; slot 1: 5 000 distinct users (past the sparse limit); slot 2: negatives and zeros. */
function fill(pane: Pane, reference: { sketches: QuantileSketch[]; hlls: HyperLogLog[] }): void {
  const add = (series: number, value: number, user: string) => {
    const slot = pane.slotFor(series);
    pane.addMeasure(slot, value);
    pane.addSketchValue(slot, value);
    pane.addDistinct(slot, user);
    reference.sketches[series]!.accept(value);
    reference.hlls[series]!.add(user);
  };
  [3, 5, 5, 1000].forEach((v, i) => add(0, v, `u${i}`));
  for (let i = 0; i < 5000; i++) {
    add(1, (i % 300) + 0.5, `player-${i}`);
  }
  [-2, 0, 0, -0.5, 7].forEach((v, i) => add(2, v, `z${i % 2}`));
}

function references() {
  return {
    sketches: [createSketch(), createSketch(), createSketch()],
    hlls: [new HyperLogLog(), new HyperLogLog(), new HyperLogLog()],
  };
}

function read(pane: Pane): { sketches: string[]; distinct: number[] } {
  const groupOf = Int32Array.from([0, 1, 2]);
  const sketches: (QuantileSketch | undefined)[] = [];
  const hlls: (HyperLogLog | undefined)[] = [];
  pane.addSketchesTo(groupOf, sketches);
  pane.addHllsTo(groupOf, hlls);
  return {
    sketches: sketches.map((s) => Buffer.from(serializeSketch(s as QuantileSketch)).toString('hex')),
    distinct: hlls.map((h) => Math.round((h as HyperLogLog).estimate())),
  };
}

describe('Pane: one cell, the same in every form', () => {
  it('reads and serializes alike open (tables), encoded (blobs), corrected (overrides) and sealed', () => {
    const reference = references();
    const pane = new Pane(0, 1000, layout, hints, 3);
    fill(pane, reference);
    const expected = {
      sketches: reference.sketches.map((s) => Buffer.from(serializeSketch(s)).toString('hex')),
      distinct: reference.hlls.map((h) => Math.round(h.estimate())),
    };
    expect(read(pane)).toEqual(expected);
    expect(expected.distinct).toEqual([4, expect.any(Number), 2]);
    const open = [0, 1, 2].map((slot) => pane.serializeSlot(slot));

    pane.encode();
    expect(pane.phase).toBe('encoded');
    expect(read(pane)).toEqual(expected);
    expect([0, 1, 2].map((slot) => pane.serializeSlot(slot))).toEqual(open);

    // A correction after encoding goes to an override of that one cell.
    pane.addSketchValue(0, 42);
    pane.addDistinct(0, 'late-user');
    pane.addMeasure(0, 42);
    reference.sketches[0]!.accept(42);
    reference.hlls[0]!.add('late-user');
    const corrected = { ...read(pane) };
    expect(corrected.sketches[0]).toBe(Buffer.from(serializeSketch(reference.sketches[0]!)).toString('hex'));
    expect(corrected.distinct[0]).toBe(5);

    pane.seal();
    expect(pane.phase).toBe('sealed');
    expect(read(pane)).toEqual(corrected);
  });

  it('rebuilds from its serialized partials, into an open or a sealed pane', () => {
    const pane = new Pane(0, 1000, layout, hints, 3);
    fill(pane, references());
    const partials = [0, 1, 2].map((slot) => pane.serializeSlot(slot));
    for (const target of [new Pane(0, 1000, layout, hints, 3), (() => {
      const sealed = new Pane(0, 1000, layout, hints, 3);
      sealed.seal();
      return sealed;
    })()]) {
      partials.forEach((bytes, series) => target.mergePartial(series, new ByteReader(bytes, 'test')));
      expect(read(target)).toEqual(read(pane));
      expect([0, 1, 2].map((slot) => target.serializeSlot(target.findSlot(slot)))).toEqual(partials);
    }
  });

  it('merges cells of another pane (roll-up) whatever form they are in', () => {
    const fine = [new Pane(0, 1000, layout, hints, 3), new Pane(1000, 2000, layout, hints, 3)];
    const reference = references();
    fine.forEach((pane) => fill(pane, reference));
    fine[0]!.seal();
    const coarse = new Pane(0, 60_000, layout, hints, 3);
    for (const pane of fine) {
      for (let slot = 0; slot < pane.size; slot++) {
        coarse.mergeSlotFrom(pane, slot);
      }
    }
    coarse.seal();
    const result = read(coarse);
    expect(result.sketches).toEqual(reference.sketches.map((s) => Buffer.from(serializeSketch(s)).toString('hex')));
    expect(result.distinct).toEqual(reference.hlls.map((h) => Math.round(h.estimate())));
  });
});
