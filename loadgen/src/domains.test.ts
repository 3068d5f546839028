/** The generated traffic is what the collector accepts and what the shipped metrics count. */
import { join } from 'node:path';
import { validateEvent, isEventError } from '../../backend/src/collect/event';
import { loadMetricFiles } from '../../backend/src/metrics-files';
import { WindowEngine } from '../../backend/src/window';
import { DOMAINS, generate, type Domain } from './domains';
import { seeded } from './random';

const definitions = loadMetricFiles(join(__dirname, '..', '..', 'backend', 'metrics'));
const cardinalities = { users: 50, campaigns: 7, services: 3 };
const NOW = 1_800_000_000_000;

function sample(domain: Domain, n: number, seed = 1) {
  const random = seeded(seed);
  return Array.from({ length: n }, () => generate(domain, random, NOW, cardinalities));
}

describe.each(DOMAINS)('%s traffic', (domain) => {
  const events = sample(domain, 5000);

  it('passes the collector validation', () => {
    const errors = events.map((event, index) => validateEvent({ value: event, line: 1 }, index, NOW)).filter(isEventError);
    expect(errors).toEqual([]);
  });

  it('feeds its metrics without a rejected event', () => {
    const engine = new WindowEngine(definitions);
    const outcomes = new Map<string, number>();
    for (const event of events) {
      const checked = validateEvent({ value: event, line: 1 }, 0, NOW);
      const outcome = isEventError(checked) ? 'invalid' : engine.apply(checked, Number.NEGATIVE_INFINITY);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(Object.fromEntries(outcomes)).toEqual({ accepted: 5000 });
    expect(engine.stats().rejectedByCode).toEqual({});
  });

  it('is repeatable with a seed', () => {
    expect(sample(domain, 50, 9)).toEqual(sample(domain, 50, 9));
    expect(sample(domain, 50, 9)).not.toEqual(sample(domain, 50, 10));
  });
});

describe('cardinalities', () => {
  const distinct = (values: unknown[]) => new Set(values).size;

  it('stay within the bounds given, and come near them', () => {
    const games = sample('games', 20_000);
    const ads = sample('ads', 20_000);
    const servers = sample('servers', 20_000);
    const players = distinct(games.filter((e) => 'player_id' in e).map((e) => e.player_id));
    expect(players).toBeLessThanOrEqual(50);
    expect(players).toBeGreaterThan(40);
    expect(distinct(ads.map((e) => e.campaign))).toBe(7);
    expect(distinct(ads.map((e) => e.user_id))).toBe(50);
    expect(distinct(servers.map((e) => e.service))).toBe(3);
  });

  it('have the mixes the dashboards show: a few clicks per impression, a few errors per request', () => {
    const ads = sample('ads', 20_000);
    const ctr = ads.filter((e) => e.type === 'ad_click').length / ads.length;
    expect(ctr).toBeGreaterThan(0.005);
    expect(ctr).toBeLessThan(0.05);
    const servers = sample('servers', 20_000);
    const errors = servers.filter((e) => (e.status as number) >= 500).length / servers.length;
    expect(errors).toBeGreaterThan(0.003);
    expect(errors).toBeLessThan(0.02);
    const games = sample('games', 20_000);
    expect(games.filter((e) => e.type === 'player_heartbeat').length / games.length).toBeGreaterThan(0.8);
  });
});
