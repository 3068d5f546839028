/** Seeded randomness for repeatable traffic: the same seed gives the same events. */

export type Random = () => number;

/** mulberry32: tiny, fast, good enough for load shapes (not for secrets). */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * An index in [0, n) where low indexes are much more frequent (a few big
 * campaigns, services and heavy players; a long tail of small ones).
 */
export function skewed(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(n * random() ** 2.5));
}

/** Log-normal with the given median and spread (sigma of the log): durations, latencies, prices. */
export function logNormal(random: Random, median: number, sigma: number): number {
  // Box-Muller; 1 - random() keeps the log argument above zero.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * normal);
}

export function weighted<T>(random: Random, entries: ReadonlyArray<readonly [T, number]>): T {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of entries) {
    roll -= weight;
    if (roll < 0) {
      return value;
    }
  }
  return (entries[entries.length - 1] as readonly [T, number])[0];
}
