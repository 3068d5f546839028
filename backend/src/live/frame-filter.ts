/**
 * Which of a live tail's values are news: the tail re-emits each series'
 * in-progress window on every poll, but only a changed value (or a window
 * turning final, or a correction) is worth a numbered frame on the bus.
 */
import type { LiveUpdate } from '../window';
import { stateField, type NewFrame } from './live-bus';

export class FrameFilter {
  /** The query's first (possibly empty) batch went out, so watchers can take a snapshot. */
  announced = false;
  private readonly sent = new Map<string, { value: number; final: boolean; end: number }>();

  /** The frames to publish for these updates; forgets windows ending before `horizon`. */
  changed(updates: readonly LiveUpdate[], horizon: number): NewFrame[] {
    const frames: NewFrame[] = [];
    for (const update of updates) {
      const frame: NewFrame = {
        kind: update.correction ? 'correction' : 'update',
        series: update.group,
        window: update.window,
        value: update.value,
        final: update.final,
      };
      const field = stateField(frame);
      const last = this.sent.get(field);
      if (!update.correction && last !== undefined && last.value === frame.value && last.final === frame.final) {
        continue;
      }
      this.sent.set(field, { value: frame.value, final: frame.final, end: frame.window.end });
      frames.push(frame);
    }
    if (this.sent.size > 0) {
      for (const [field, entry] of this.sent) {
        if (entry.end < horizon) {
          this.sent.delete(field);
        }
      }
    }
    return frames;
  }
}
