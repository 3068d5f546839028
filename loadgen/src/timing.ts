/** Event times: now, a little out of order, or late. */
import type { Random } from './random';

export interface TimeShape {
  outOfOrder: number;
  outOfOrderMs: number;
  late: number;
  lateMs: number;
}

/** Late events lag at least this much: past the backend's default 2 s out-of-orderness. */
export const LATE_MIN_MS = 3000;

export function eventTime(random: Random, now: number, shape: TimeShape): number {
  const roll = random();
  if (roll < shape.late) {
    return Math.round(now - LATE_MIN_MS - random() * (shape.lateMs - LATE_MIN_MS));
  }
  if (roll < shape.late + shape.outOfOrder) {
    return Math.round(now - random() * shape.outOfOrderMs);
  }
  return now;
}
