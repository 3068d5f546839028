/**
 * The admission part of the Redis commit script (redis-pane-state.ts) and
 * its arguments: per metric, the ledger of admitted tuples (layout in
 * pane-state.ts, rules in window/admission.ts). memory-ledger.ts is the twin.
 */
import type { AdmissionRequest, LedgerView } from '../window';
import { LEDGER_IDLE_EXPIRY_MS, type CommitOutcome } from './pane-state';

/**
 * Lua, defined before the commit script's body. `admission(n)` runs the n
 * requests: members below the horizon leave (kept even if the commit is then
 * refused: they are expired either way); every claim must find its tuple a
 * member or a free place (else 2, conflict) and the refusals must rest on
 * the current version (else 3, stale); only then (1) are the claims
 * written. Returns the status and one view per request:
 * {version, count, members, complete}.
 * KEYS[5 …]: 3 per request: ledger, seq, version.
 * ARGV[9 …]: 5 per request: cap, horizon ('' none), known, refusedAt ('' none),
 * claims as one MessagePack array [score, key, score, key, …] (strings).
 */
export const ADMISSION_LUA = `
local function keep(c)
  redis.call('PEXPIRE', c.ledger, ${LEDGER_IDLE_EXPIRY_MS})
  redis.call('PEXPIRE', c.seq, ${LEDGER_IDLE_EXPIRY_MS})
  redis.call('PEXPIRE', c.vkey, ${LEDGER_IDLE_EXPIRY_MS})
end
local function admission(n)
  local checked, status = {}, 1
  for r = 1, n do
    local k, a = 4 + (r - 1) * 3, 9 + (r - 1) * 5
    local c = {ledger = KEYS[k + 1], seq = KEYS[k + 2], vkey = KEYS[k + 3], known = tonumber(ARGV[a + 2]), refusedAt = ARGV[a + 3]}
    c.claims = cmsgpack.unpack(ARGV[a + 4])
    c.version = tonumber(redis.call('GET', c.vkey) or '0')
    local horizon = ARGV[a + 1]
    if horizon ~= '' then
      local gone = redis.call('ZRANGEBYSCORE', c.ledger, '-inf', '(' .. horizon)
      if #gone > 0 then
        for j = 1, #gone, 1000 do
          local last = math.min(j + 999, #gone)
          redis.call('ZREM', c.ledger, unpack(gone, j, last))
          redis.call('ZREM', c.seq, unpack(gone, j, last))
        end
        c.version = c.version + 1
        redis.call('SET', c.vkey, c.version)
        keep(c)
      end
    end
    c.fresh = {}
    local seen = {}
    for j = 2, #c.claims, 2 do
      local key = c.claims[j]
      if not seen[key] and not redis.call('ZSCORE', c.ledger, key) then
        c.fresh[#c.fresh + 1] = key
      end
      seen[key] = true
    end
    c.conflict = redis.call('ZCARD', c.ledger) + #c.fresh > tonumber(ARGV[a])
    c.stale = c.refusedAt ~= '' and tonumber(c.refusedAt) ~= c.version
    if c.conflict then
      status = 2
    elseif c.stale and status == 1 then
      status = 3
    end
    checked[r] = c
  end
  if status == 1 then
    for _, c in ipairs(checked) do
      if #c.fresh > 0 then
        c.version = c.version + 1
        redis.call('SET', c.vkey, c.version)
        for j = 1, #c.fresh, 1000 do
          local entries = {}
          for i = j, math.min(j + 999, #c.fresh) do
            entries[#entries + 1] = c.version
            entries[#entries + 1] = c.fresh[i]
          end
          redis.call('ZADD', c.seq, unpack(entries))
        end
      end
      for j = 1, #c.claims, 2000 do
        redis.call('ZADD', c.ledger, 'GT', unpack(c.claims, j, math.min(j + 1999, #c.claims)))
      end
      if #c.claims > 0 then
        keep(c)
      end
    end
  end
  local views = {}
  for r, c in ipairs(checked) do
    local since = c.known
    if status == 3 and c.stale then
      since = math.min(since, tonumber(c.refusedAt))
    end
    local complete = c.conflict or since == 0 or c.version < since
    local members = {}
    if complete then
      members = redis.call('ZRANGE', c.ledger, 0, -1)
    elseif c.version ~= since then
      members = redis.call('ZRANGEBYSCORE', c.seq, '(' .. since, '+inf')
    end
    views[r] = {c.version, redis.call('ZCARD', c.ledger), members, complete and 1 or 0}
  end
  return status, views
end
`;

/** A whole ledger: KEYS ledger, version. */
export const READ_LEDGER_SCRIPT = `return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('ZRANGE', KEYS[1], 0, -1)}`;

export function ledgerKeys(prefix: string, metric: string): [string, string, string] {
  return [`${prefix}:ledger:${metric}`, `${prefix}:ledger-seq:${metric}`, `${prefix}:ledger-version:${metric}`];
}

const MSGPACK_ARRAY32 = 0xdd;
const MSGPACK_STR32 = 0xdb;

/** Claims as one MessagePack array of strings [score, key, …]: ZADD's order, so the script passes slices on. */
function packClaims(claims: AdmissionRequest['claims']): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(5);
  head[0] = MSGPACK_ARRAY32;
  head.writeUInt32BE(claims.length * 2, 1);
  parts.push(head);
  for (const [key, score] of claims) {
    for (const text of [String(score), key]) {
      const bytes = Buffer.from(text, 'utf8');
      const prefix = Buffer.alloc(5);
      prefix[0] = MSGPACK_STR32;
      prefix.writeUInt32BE(bytes.length, 1);
      parts.push(prefix, bytes);
    }
  }
  return Buffer.concat(parts);
}

/** The script's KEYS and ARGV for the requests (see ADMISSION_LUA). */
export function admissionArgs(prefix: string, requests: readonly AdmissionRequest[]): { keys: string[]; args: Array<string | Buffer> } {
  const keys: string[] = [];
  const args: Array<string | Buffer> = [];
  for (const request of requests) {
    keys.push(...ledgerKeys(prefix, request.metric));
    args.push(
      String(request.cap),
      Number.isFinite(request.horizon) ? String(request.horizon) : '',
      String(request.known),
      request.refusedAt === undefined ? '' : String(request.refusedAt),
      packClaims(request.claims),
    );
  }
  return { keys, args };
}

type RawView = [number, number, string[], number];

const STATUS: Record<number, CommitOutcome['status']> = { 1: 'committed', 2: 'conflict', 3: 'stale', 4: 'sealed' };

export function decodeOutcome(reply: unknown, requests: readonly AdmissionRequest[]): CommitOutcome {
  const [status, views, seal] = reply as [number, RawView[], string | undefined];
  return {
    ...(seal === undefined ? {} : { seal: Number(seal) }),
    status: STATUS[status] ?? 'conflict',
    ledgers: (views ?? []).map(([version, count, members, complete], i) => ({
      metric: (requests[i] as AdmissionRequest).metric,
      version: Number(version),
      count: Number(count),
      members,
      complete: complete === 1,
    })),
  };
}

export function decodeLedger(metric: string, reply: unknown): LedgerView {
  const [version, members] = reply as [number, string[]];
  return { metric, version: Number(version), count: members.length, members, complete: true };
}
