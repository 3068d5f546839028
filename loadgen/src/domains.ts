/**
 * Event generators for the three demo domains, shaped after the fields the
 * shipped metric files expect (backend/metrics/{games,ads,servers}.yaml):
 *
 *   games    player_heartbeat  player_id, region, platform, mode
 *            match_end         match_id, region, platform, mode, duration_s, result
 *            session_end       player_id, region, platform, session_length_s
 *   ads      ad_impression     campaign, country, device, user_id, cost
 *            ad_click          campaign, country, device, user_id, cost
 *   servers  http_request      service, route, method, status, duration_ms, client_id
 *
 * Pure: the caller passes the randomness and the event time.
 */
import { logNormal, pick, skewed, weighted, type Random } from './random';

export const DOMAINS = ['games', 'ads', 'servers'] as const;
export type Domain = (typeof DOMAINS)[number];

export type LoadEvent = { type: string; ts: number } & Record<string, string | number | boolean | null>;

export interface Cardinalities {
  /** Distinct players (games), ad viewers (ads) and API clients (servers). */
  users: number;
  campaigns: number;
  services: number;
}

const REGIONS = ['eu-west', 'eu-north', 'us-east', 'us-west', 'ap-south', 'ap-east', 'sa-east'];
const PLATFORMS = ['pc', 'ps5', 'xbox', 'switch', 'mobile'];
const MODES = ['solo', 'duo', 'squad', 'ranked'];
const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'BR', 'JP', 'IN', 'CA', 'ES', 'MX'];
const DEVICES: ReadonlyArray<readonly [string, number]> = [
  ['mobile', 6],
  ['desktop', 3],
  ['tablet', 1],
];
const ROUTES: ReadonlyArray<readonly [string, string, number, number]> = [
  // route, method, weight, median latency ms
  ['/api/search', 'GET', 30, 60],
  ['/api/products', 'GET', 25, 25],
  ['/api/cart', 'POST', 10, 45],
  ['/api/orders', 'POST', 5, 120],
  ['/api/users/me', 'GET', 15, 15],
  ['/login', 'POST', 5, 90],
  ['/health', 'GET', 10, 2],
];
const STATUSES: ReadonlyArray<readonly [number, number]> = [
  [200, 880],
  [201, 40],
  [204, 20],
  [304, 25],
  [400, 10],
  [404, 15],
  [429, 3],
  [500, 4],
  [502, 2],
  [503, 1],
];

function games(random: Random, ts: number, c: Cardinalities): LoadEvent {
  const player = skewed(random, c.users);
  // A player keeps one region and platform: derived from the id, not drawn per event.
  const region = REGIONS[player % REGIONS.length] as string;
  const platform = PLATFORMS[Math.floor(player / REGIONS.length) % PLATFORMS.length] as string;
  const kind = weighted(random, [
    ['player_heartbeat', 90],
    ['match_end', 7],
    ['session_end', 3],
  ] as const);
  if (kind === 'player_heartbeat') {
    return { type: kind, ts, player_id: `p${player}`, region, platform, mode: pick(random, MODES) };
  }
  if (kind === 'match_end') {
    return {
      type: kind,
      ts,
      match_id: `m${Math.floor(random() * 1e12).toString(36)}`,
      region,
      platform,
      mode: pick(random, MODES),
      duration_s: Math.round(logNormal(random, 600, 0.45)),
      result: weighted(random, [
        ['win', 45],
        ['loss', 50],
        ['draw', 5],
      ] as const),
    };
  }
  return { type: kind, ts, player_id: `p${player}`, region, platform, session_length_s: Math.round(logNormal(random, 1800, 0.8)) };
}

function ads(random: Random, ts: number, c: Cardinalities): LoadEvent {
  const campaign = skewed(random, c.campaigns);
  // Each campaign has its own click-through rate, 0.5 % to 5 %.
  const ctr = 0.005 + ((campaign * 7919) % 100) / 2200;
  const click = random() < ctr;
  const base = {
    campaign: `c${campaign}`,
    country: COUNTRIES[skewed(random, COUNTRIES.length)] as string,
    device: weighted(random, DEVICES),
    user_id: `u${Math.floor(random() * c.users)}`,
  };
  return click
    ? { type: 'ad_click', ts, ...base, cost: Math.round(logNormal(random, 0.6, 0.7) * 100) / 100 }
    : { type: 'ad_impression', ts, ...base, cost: Math.round(logNormal(random, 0.004, 0.5) * 1e5) / 1e5 };
}

function servers(random: Random, ts: number, c: Cardinalities): LoadEvent {
  const [route, method, , median] = weighted(
    random,
    ROUTES.map((entry) => [entry, entry[2]] as const),
  );
  const status = weighted(random, STATUSES);
  // Errors and a slow tail: 5xx take longer, 1 % of requests hit a slow path.
  const slow = random() < 0.01 ? 20 : 1;
  return {
    type: 'http_request',
    ts,
    service: `svc-${skewed(random, c.services)}`,
    route,
    method,
    status,
    duration_ms: Math.round(logNormal(random, median * (status >= 500 ? 4 : 1) * slow, 0.6) * 10) / 10,
    client_id: `cl${Math.floor(random() * c.users)}`,
  };
}

const GENERATORS: Record<Domain, (random: Random, ts: number, c: Cardinalities) => LoadEvent> = { games, ads, servers };

export function generate(domain: Domain, random: Random, ts: number, cardinalities: Cardinalities): LoadEvent {
  return GENERATORS[domain](random, ts, cardinalities);
}
