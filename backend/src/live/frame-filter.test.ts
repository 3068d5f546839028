import type { LiveUpdate } from '../window';
import { FrameFilter } from './frame-filter';
import type { NewFrame } from './live-bus';

function update(group: Record<string, string>, start: number, value: number, extra: Partial<LiveUpdate> = {}): LiveUpdate {
  return { group, window: { start, end: start + 1000 }, value, final: false, correction: false, ...extra };
}

const A = { type: 'a' };
const B = { type: 'b' };

describe('FrameFilter', () => {
  it('sends a value once, and again only when it changes or turns final', () => {
    const filter = new FrameFilter();
    expect(filter.changed([update(A, 0, 1)], -Infinity).frames).toHaveLength(1);
    expect(filter.changed([update(A, 0, 1)], -Infinity).frames).toHaveLength(0);
    expect(filter.changed([update(A, 0, 2)], -Infinity).frames.map((f) => f.value)).toEqual([2]);
    expect(filter.changed([update(A, 0, 2, { final: true })], -Infinity).frames.map((f) => f.final)).toEqual([true]);
  });

  it('keeps apart series whose values hold what once separated names and values', () => {
    const filter = new FrameFilter();
    // Joined as name=value\u0000 both read "a=x\u0000b=y\u0000b=\u0000": the second went unsent as a repeat.
    const first = { a: 'x\u0000b=y', b: '' };
    const second = { a: 'x', b: 'y\u0000b=' };
    expect(filter.changed([update(first, 0, 1)], -Infinity).frames).toHaveLength(1);
    expect(filter.changed([update(second, 0, 1)], -Infinity).frames.map((f) => f.series)).toEqual([second]);
  });

  it('sends a quiet series at once and holds a busy one until its interval has passed', () => {
    const filter = new FrameFilter(250);
    expect(filter.changed([update(A, 0, 1)], -Infinity, 1000).frames).toHaveLength(1);
    const held = filter.changed([update(A, 0, 2), update(B, 0, 7)], -Infinity, 1100);
    // B was quiet: out at once. A went out 100 ms ago: held until 1250.
    expect(held.frames.map((f) => f.series)).toEqual([B]);
    expect(held.dueAt).toBe(1250);
    // Offered again before it is due: still held, nothing recorded as sent.
    expect(filter.changed([update(A, 0, 3)], -Infinity, 1200).frames).toHaveLength(0);
    const due = filter.changed([update(A, 0, 3)], -Infinity, 1250);
    expect(due.frames.map((f) => f.value)).toEqual([3]);
    expect(due.dueAt).toBeUndefined();
  });

  it('never holds finals or corrections, and lets the series\u2019 other windows ride along', () => {
    const filter = new FrameFilter(250);
    filter.changed([update(A, 0, 1), update(A, 1000, 1)], -Infinity, 1000);
    const out = filter.changed([update(A, 0, 5, { final: true }), update(A, 1000, 2)], -Infinity, 1050);
    expect(out.frames.map((f) => [f.window.start, f.value, f.final])).toEqual([
      [0, 5, true],
      [1000, 2, false],
    ]);
    const corrected = filter.changed([update(A, 0, 6, { final: true, correction: true })], -Infinity, 1060);
    expect(corrected.frames.map((f) => f.kind)).toEqual(['correction']);
  });

  it('starting from the bus\u2019s state, sends only what changed since, with finals kept final', () => {
    const held = (group: Record<string, string>, start: number, value: number, final: boolean): NewFrame => ({ kind: 'update', series: { ...group }, window: { start, end: start + 1000 }, value, final });
    const filter = new FrameFilter(250);
    filter.seed([held(A, 0, 4, true), held(A, 1000, 2, false), held(A, 2000, 1, false), held(B, 0, 3, true), held(B, 1000, 5, true)]);
    expect(filter.announced).toBe(true);
    const out = filter.changed(
      [
        update(A, 0, 4, { final: true }), // unchanged final: not again
        update(A, 1000, 2, { final: true }), // turned final, same value: the final goes out
        update(A, 2000, 1), // unchanged in progress: not again
        update(A, 3000, 1), // new window
        update(B, 0, 6, { final: true }), // a final that changed: a correction
        update(B, 1000, 4), // in progress where the bus holds a final (a trailing watermark): never sent
      ],
      -Infinity,
      1000,
    );
    expect(out.frames.map((f) => [f.series.type, f.window.start, f.value, f.final, f.kind])).toEqual([
      ['a', 1000, 2, true, 'update'],
      ['a', 3000, 1, false, 'update'],
      ['b', 0, 6, true, 'correction'],
    ]);
    expect(filter.changed([update(B, 1000, 5, { final: true })], -Infinity, 1100).frames).toHaveLength(0);
  });

  it('forgets windows that end before the horizon', () => {
    const filter = new FrameFilter();
    filter.changed([update(A, 0, 1)], -Infinity);
    // Window [0, 1000) is beyond the horizon now: the same value counts as news again.
    filter.changed([], 5000);
    expect(filter.changed([update(A, 0, 1)], -Infinity).frames).toHaveLength(1);
  });
});
