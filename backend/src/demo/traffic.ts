/**
 * Built-in demo traffic for the embedded default: a steady mix of event
 * types, a little out of order, sent through the collector like any client's.
 */
import type { Collector } from '../collect/collector';

const MIX: ReadonlyArray<{ type: string; weight: number }> = [
  { type: 'page_view', weight: 6 },
  { type: 'click', weight: 3 },
  { type: 'match_start', weight: 1.5 },
  { type: 'purchase', weight: 0.5 },
];
const COUNTRIES = ['DE', 'US', 'FR', 'BR', 'JP', 'IN'];
const TICK_MS = 100;
/** Up to this much out of order, within the default allowed out-of-orderness. */
const JITTER_MS = 1500;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

function pickType(): string {
  const total = MIX.reduce((sum, entry) => sum + entry.weight, 0);
  let roll = Math.random() * total;
  for (const entry of MIX) {
    roll -= entry.weight;
    if (roll <= 0) {
      return entry.type;
    }
  }
  return (MIX[0] as { type: string }).type;
}

export function startDemoTraffic(collector: Collector, eventsPerSec: number): () => void {
  let carry = 0;
  const timer = setInterval(() => {
    carry += (eventsPerSec * TICK_MS) / 1000;
    const count = Math.floor(carry);
    carry -= count;
    if (count === 0) {
      return;
    }
    const now = Date.now();
    const events = Array.from({ length: count }, () => ({
      type: pickType(),
      ts: now - Math.floor(Math.random() * JITTER_MS),
      user: `u${Math.floor(Math.random() * 500)}`,
      country: pick(COUNTRIES),
    }));
    collector.ingest(JSON.stringify(events), 'json').catch((error: unknown) => {
      console.warn(`demo traffic: ${(error as Error).message}`);
    });
  }, TICK_MS);
  return () => clearInterval(timer);
}
