/**
 * The Lua scripts of the Redis live bus (redis-live-bus.ts, whose header
 * gives the key layout): each runs as one step, which is what makes the
 * bus's numbering, snapshots, registrations and leadership atomic across
 * gateways and composers.
 */
import { SEQS_PER_MS } from './live-bus';

/**
 * KEYS: seq, ring, state, ends, leader. ARGV: channel, ring size, horizon, ttl ms, publisher id,
 * then field, end, body per frame. Refuses a publisher that no longer holds the leader lease
 * (fencing: a composer that stalled past its lease must not number frames beside the new one).
 *
 * Without a seq key (the query's first publish, its keys expired after an hour without one, or
 * Redis lost them) a new numbering starts at Redis's clock in ms × SEQS_PER_MS (numberingBase):
 * one clock for every composer, and above every seq clients may hold from an earlier numbering.
 * A ring an earlier numbering left (the seq key evicted alone) is dropped, so the ring holds one
 * numbering only; its state stays (latest values, true whatever their seqs, and not sent with them).
 * Seqs have 16 digits and Lua prints numbers with 14: '%.0f' writes them exactly.
 */
export const PUBLISH_SCRIPT = `
if redis.call('GET', KEYS[5]) ~= ARGV[5] then
  return redis.error_reply('PANECAST_NOT_LEADER')
end
local seq = tonumber(redis.call('GET', KEYS[1]))
if not seq then
  local now = redis.call('TIME')
  seq = (tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)) * ${SEQS_PER_MS}
  redis.call('DEL', KEYS[2])
end
local out = {}
local i = 6
while i <= #ARGV do
  seq = seq + 1
  local frame = '{"seq":' .. string.format('%.0f', seq) .. ',' .. ARGV[i + 2]
  out[#out + 1] = frame
  redis.call('RPUSH', KEYS[2], frame)
  redis.call('HSET', KEYS[3], ARGV[i], frame)
  redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[i])
  i = i + 3
end
redis.call('SET', KEYS[1], string.format('%.0f', seq), 'PX', ARGV[4])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[3])
for _, field in ipairs(old) do
  redis.call('HDEL', KEYS[3], field)
end
if #old > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[3])
end
for k = 2, 4 do
  redis.call('PEXPIRE', KEYS[k], ARGV[4])
end
redis.call('PUBLISH', ARGV[1], '[' .. table.concat(out, ',') .. ']')
return seq
`;

/** KEYS: seq, state. */
export const SNAPSHOT_SCRIPT = `
local seq = redis.call('GET', KEYS[1])
if not seq then return false end
return { seq, redis.call('HVALS', KEYS[2]) }
`;

/** KEYS: seq, ring. */
export const REPLAY_SCRIPT = `
local seq = redis.call('GET', KEYS[1])
if not seq then return false end
return { seq, redis.call('LRANGE', KEYS[2], 0, -1) }
`;

/**
 * KEYS: queries, leases, then the tenants' query sets. ARGV: now, expiry, channel, tenant set ttl, then
 * key, json, tenant per query (the index in KEYS of its tenant's set; 0: none).
 */
export const REGISTER_SCRIPT = `
for i = 5, #ARGV, 3 do
  local old = redis.call('ZSCORE', KEYS[2], ARGV[i])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[i])
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  local tenant = tonumber(ARGV[i + 2])
  if tenant > 0 then
    redis.call('ZADD', KEYS[tenant], ARGV[2], ARGV[i])
    redis.call('PEXPIRE', KEYS[tenant], ARGV[4])
  end
  if not old or tonumber(old) <= tonumber(ARGV[1]) then
    redis.call('PUBLISH', ARGV[3], ARGV[i + 1])
  end
end
return 1
`;

/**
 * KEYS: queries, leases, the tenant's query set. ARGV: now, expiry, channel, tenant set ttl, key, json,
 * limit. Registers the query as REGISTER_SCRIPT does and answers 1, unless it is not registered and
 * the tenant's set already holds `limit` live leases: 0, nothing written. Count and write in one
 * script: gateways racing for a tenant's last slot cannot both take it.
 */
export const ADMIT_SCRIPT = `
local old = redis.call('ZSCORE', KEYS[2], ARGV[5])
local registered = old and tonumber(old) > tonumber(ARGV[1])
if not registered then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then
    return 0
  end
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
redis.call('HSET', KEYS[1], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
if not registered then
  redis.call('PUBLISH', ARGV[3], ARGV[6])
end
return 1
`;

/** KEYS: queries, leases. ARGV: now. Drops expired leases, returns the live queries' JSON. */
export const ACTIVE_SCRIPT = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, key in ipairs(expired) do
  redis.call('HDEL', KEYS[1], key)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local live = redis.call('ZRANGE', KEYS[2], 0, -1)
local out = {}
-- HMGET in chunks: unpack has a stack limit of a few thousand values.
for i = 1, #live, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #live) do
    chunk[#chunk + 1] = live[j]
  end
  for _, value in ipairs(redis.call('HMGET', KEYS[1], unpack(chunk))) do
    out[#out + 1] = value
  end
end
return out
`;

/** KEYS: leader. ARGV: id, ttl. Takes the lease if free, renews it if ours. */
export const LEAD_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

export const RESIGN_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
