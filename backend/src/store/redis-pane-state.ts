/** Redis adapter of the pane-state port (layout in pane-state.ts). */
import type Redis from 'ioredis';
import type { LedgerView, StoredPartial } from '../window';
import { grownCapacity } from '../window/aggregates/bytes';
import { ADMISSION_LUA, admissionArgs, decodeLedger, decodeOutcome, ledgerKeys, READ_LEDGER_SCRIPT } from './redis-ledger';
import {
  byPane,
  FencedError,
  decodeProgress,
  encodeProgress,
  paneSuffix,
  partialField,
  parsePartialField,
  encodeNotice,
  decodeNotice,
  type CommitListener,
  type CommitOutcome,
  type PaneStateStore,
  type PartitionCommit,
  type PartitionProgress,
  type PartitionState,
} from './pane-state';

/**
 * One partition's commit, atomic in Redis: refuse a stale epoch; refuse
 * (status 4 and the seal, writing nothing) a commit changing a pane below
 * its seal mark; run the admission requests (redis-ledger.ts) and stop
 * there, writing nothing else, unless they all pass; then write the panes (HSET in chunks: Lua's
 * unpack has a stack limit), their expiry and index entries, trim the index,
 * set offset and progress, and publish the commit notice (in the script, so
 * a notice never announces a commit that did not happen, and notices arrive
 * in commit order). Returns {status, ledger views, the seal if any}.
 * KEYS: epoch, offsets, progress, index, 3 per admission request, one
 * pane hash per pane, then the marks hash.
 * ARGV: epoch, partition, offset, progress, oldest index score ('' = none),
 * notice channel, notice, admission request count, 5 per request, per
 * pane: suffix, pane start, retention ms, and its fields and values as one
 * MessagePack array (see PanePayload); then the seal's mark name ('' = no
 * seal) and the oldest pane changed.
 */
const COMMIT_SCRIPT = `${ADMISSION_LUA}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('PANECAST_FENCED')
end
local seal = false
if ARGV[#ARGV - 1] ~= '' then
  seal = redis.call('HGET', KEYS[#KEYS], ARGV[#ARGV - 1])
  if seal and tonumber(ARGV[#ARGV]) < tonumber(seal) then
    return {4, {}, seal}
  end
end
local requests = tonumber(ARGV[8])
local status, views = 1, {}
if requests > 0 then
  status, views = admission(requests)
  if status ~= 1 then
    return {status, views}
  end
end
local i = 9 + requests * 5
for k = 5 + requests * 3, #KEYS - 1 do
  local suffix, start, ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local items = cmsgpack.unpack(ARGV[i + 3])
  i = i + 4
  for j = 1, #items, 1000 do
    redis.call('HSET', KEYS[k], unpack(items, j, math.min(j + 999, #items)))
  end
  -- Never shorter: a pane the history writer holds keeps its hold through a late correction.
  if redis.call('PTTL', KEYS[k]) < tonumber(ttl) then
    redis.call('PEXPIRE', KEYS[k], ttl)
  end
  redis.call('ZADD', KEYS[4], start, suffix)
end
if ARGV[5] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[5])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
redis.call('PUBLISH', ARGV[6], ARGV[7])
if seal then
  return {1, views, seal}
end
return {1, views}
`;

/** Raises a mark to ARGV[2] unless it is higher; returns the mark as stored (a string: Lua prints big numbers in exponent form). */
const RAISE_MARK_SCRIPT = `
local mark = redis.call('HGET', KEYS[1], ARGV[1])
if mark and tonumber(mark) >= tonumber(ARGV[2]) then
  return mark
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
`;

const MSGPACK_ARRAY32 = 0xdd;
/** str 32: Lua gets a binary-safe string (Redis's cmsgpack has no bin types). */
const MSGPACK_STR32 = 0xdb;

/**
 * A commit's pane fields and values, each pane as one MessagePack array
 * [field, bytes, field, bytes, …] in one buffer. Why: as separate arguments,
 * ioredis made a string header and a copy per field and per value, which cost
 * as much as the engine's work for a batch when a commit wrote thousands of
 * cells; one argument per pane is one copy into the socket.
 */
class PanePayload {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private length = 0;
  private paneStart = 0;
  private items = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) {
      return;
    }
    const grown = Buffer.allocUnsafe(grownCapacity(this.buffer.length, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  beginPane(): void {
    this.ensure(5);
    this.paneStart = this.length;
    this.buffer[this.length] = MSGPACK_ARRAY32;
    this.length += 5;
    this.items = 0;
  }

  /** One cell: field `<prefix><seriesKey>` (prefix = "<partition>/", ASCII), then the bytes. */
  cell(prefix: string, seriesKey: string, bytes: Uint8Array): void {
    this.ensure(10 + prefix.length + seriesKey.length * 3 + bytes.length);
    const buffer = this.buffer;
    const fieldAt = this.length;
    let at = fieldAt + 5;
    at += buffer.write(prefix, at, 'latin1');
    at += buffer.write(seriesKey, at, 'utf8');
    buffer[fieldAt] = MSGPACK_STR32;
    buffer.writeUInt32BE(at - fieldAt - 5, fieldAt + 1);
    buffer[at] = MSGPACK_STR32;
    buffer.writeUInt32BE(bytes.length, at + 1);
    buffer.set(bytes, at + 5);
    this.length = at + 5 + bytes.length;
    this.items += 2;
  }

  endPane(): void {
    this.buffer.writeUInt32BE(this.items, this.paneStart + 1);
  }

  /** Bytes written so far: where the pane just ended. */
  get position(): number {
    return this.length;
  }

  /** A copy of what was written (ioredis writes it later, on the next tick); resets the writer. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.buffer.copy(out, 0, 0, this.length);
    this.length = 0;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

export class RedisPaneState implements PaneStateStore {
  private readonly prefix: string;
  /** Reused between commits: its contents are copied out before each eval. */
  private readonly payload = new PanePayload();
  private readonly commitChannel: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    this.prefix = `panecast:${namespace}`;
    this.commitChannel = `${this.prefix}:commits`;
  }

  async watchCommits(listener: CommitListener): Promise<() => Promise<void>> {
    // A subscribed connection can run nothing else: a dedicated one.
    const subscriber = this.redis.duplicate({ enableAutoPipelining: false });
    subscriber.on('error', (error: Error) => console.warn(`redis commit feed: ${error.message}`));
    let connected = false;
    subscriber.on('ready', () => {
      // Notices published while the connection was down are lost: re-read everything.
      if (connected) {
        listener.resync();
      }
      connected = true;
    });
    subscriber.on('message', (_channel: string, text: string) => {
      const notice = decodeNotice(text);
      if (notice !== undefined) {
        listener.committed(notice);
      }
    });
    await subscriber.subscribe(this.commitChannel);
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  async loadPartition(partition: number, sinceOf: (progress: PartitionProgress) => number): Promise<PartitionState> {
    const [epoch, offset, storedProgress] = await Promise.all([
      // A new owner fences off the previous one before reading.
      this.redis.incr(`${this.prefix}:epoch:${partition}`),
      this.redis.hget(`${this.prefix}:offsets`, String(partition)),
      this.redis.hget(`${this.prefix}:progress`, String(partition)),
    ]);
    const progress = decodeProgress(storedProgress);
    const since = sinceOf(progress);
    const suffixes = await this.redis.zrangebyscore(`${this.prefix}:index:${partition}`, Number.isFinite(since) ? since : '-inf', '+inf');
    const hashes = await Promise.all(suffixes.map((suffix) => this.redis.hgetallBuffer(`${this.prefix}:pane:${suffix}`)));
    const partials: StoredPartial[] = [];
    suffixes.forEach((suffix, i) => {
      const [metric, resolution, start] = suffix.split(':');
      for (const [field, bytes] of Object.entries(hashes[i] ?? {})) {
        const parsed = parsePartialField(field);
        if (parsed?.partition === partition) {
          partials.push({ metric: metric as string, resolutionMs: Number(resolution), paneStart: Number(start), seriesKey: parsed.seriesKey, bytes });
        }
      }
    });
    return { epoch, offset: offset === null ? -1 : Number(offset), progress, partials };
  }

  async readLedger(metric: string): Promise<LedgerView> {
    const [ledger, , version] = ledgerKeys(this.prefix, metric);
    return decodeLedger(metric, await this.redis.eval(READ_LEDGER_SCRIPT, 2, ledger, version));
  }

  async commit(commit: PartitionCommit): Promise<CommitOutcome> {
    const requests = commit.admissions ?? [];
    const admission = admissionArgs(this.prefix, requests);
    const keys = [`${this.prefix}:epoch:${commit.partition}`, `${this.prefix}:offsets`, `${this.prefix}:progress`, `${this.prefix}:index:${commit.partition}`, ...admission.keys];
    const args: Array<string | Buffer> = [String(commit.epoch), String(commit.partition), String(commit.offset), encodeProgress(commit.progress)];
    const panes: Array<string | Buffer> = [];
    const fieldPrefix = partialField(commit.partition, '');
    const payload = this.payload;
    const ranges: number[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (const [suffix, { partial, items }] of byPane(commit.partials)) {
      keys.push(`${this.prefix}:pane:${suffix}`);
      const retention = commit.retentionMs(partial.resolutionMs, partial.paneStart);
      panes.push(suffix, String(partial.paneStart), String(retention), EMPTY);
      payload.beginPane();
      for (const item of items) {
        payload.cell(fieldPrefix, item.seriesKey, item.bytes);
      }
      payload.endPane();
      ranges.push(payload.position);
      oldest = Math.min(oldest, partial.paneStart - retention);
    }
    // One buffer for the commit; each pane's array is a view into it.
    const bytes = payload.take();
    for (let p = 0, from = 0; p < ranges.length; p++) {
      const to = ranges[p] as number;
      panes[p * 4 + 3] = bytes.subarray(from, to);
      from = to;
    }
    keys.push(`${this.prefix}:marks`);
    args.push(Number.isFinite(oldest) ? String(oldest) : '', this.commitChannel, encodeNotice(commit), String(requests.length), ...admission.args, ...panes);
    args.push(commit.seal?.mark ?? '', String(commit.seal?.oldestPane ?? 0));
    try {
      return decodeOutcome(await this.redis.eval(COMMIT_SCRIPT, keys.length, ...keys, ...args), requests);
    } catch (error) {
      if ((error as Error).message.includes('PANECAST_FENCED')) {
        throw new FencedError(commit.partition, commit.epoch);
      }
      throw error;
    }
  }

  async readPanes(metric: string, resolutionMs: number, paneStarts: readonly number[]): Promise<Map<number, StoredPartial[]>> {
    const hashes = await Promise.all(paneStarts.map((start) => this.redis.hgetallBuffer(`${this.prefix}:pane:${paneSuffix(metric, resolutionMs, start)}`)));
    const result = new Map<number, StoredPartial[]>();
    hashes.forEach((hash, i) => {
      for (const [field, bytes] of Object.entries(hash)) {
        const parsed = parsePartialField(field);
        if (parsed === undefined) {
          continue;
        }
        let list = result.get(parsed.partition);
        if (list === undefined) {
          list = [];
          result.set(parsed.partition, list);
        }
        list.push({ metric, resolutionMs, paneStart: paneStarts[i] as number, seriesKey: parsed.seriesKey, bytes });
      }
    });
    return result;
  }

  async holdPanes(metric: string, resolutionMs: number, paneStarts: readonly number[], until: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const start of paneStarts) {
      // GT: only ever lengthens (a pane a late commit keeps longer stays so); an expired pane is not revived.
      pipeline.pexpireat(`${this.prefix}:pane:${paneSuffix(metric, resolutionMs, start)}`, until, 'GT');
    }
    const failed = (await pipeline.exec())?.find(([error]) => error !== null);
    if (failed !== undefined) {
      throw failed[0] as Error;
    }
  }

  async readMark(name: string): Promise<number | undefined> {
    const value = await this.redis.hget(`${this.prefix}:marks`, name);
    return value === null ? undefined : Number(value);
  }

  async writeMark(name: string, value: number): Promise<void> {
    await this.redis.hset(`${this.prefix}:marks`, name, String(value));
  }

  async raiseMark(name: string, value: number): Promise<number> {
    return Number(await this.redis.eval(RAISE_MARK_SCRIPT, 1, `${this.prefix}:marks`, name, String(value)));
  }

  async claimMark(name: string, value: number): Promise<number> {
    await this.redis.hsetnx(`${this.prefix}:marks`, name, String(value));
    return Number(await this.redis.hget(`${this.prefix}:marks`, name));
  }

  async readCommitted(): Promise<Map<number, PartitionProgress & { offset: number }>> {
    // MULTI: both hashes as of one moment between commits.
    const replies = await this.redis.multi().hgetall(`${this.prefix}:offsets`).hgetall(`${this.prefix}:progress`).exec();
    const failed = replies?.find(([error]) => error !== null);
    if (replies === null || failed !== undefined) {
      throw (failed?.[0] as Error | undefined) ?? new Error('redis: the committed-state read was aborted');
    }
    const [offsets, progress] = replies.map(([, reply]) => reply as Record<string, string>) as [Record<string, string>, Record<string, string>];
    return new Map(Object.entries(progress).map(([partition, text]) => [Number(partition), { ...decodeProgress(text), offset: Number(offsets[partition] ?? -1) }]));
  }

  async readProgress(): Promise<Map<number, PartitionProgress>> {
    const all = await this.redis.hgetall(`${this.prefix}:progress`);
    return new Map(Object.entries(all).map(([partition, text]) => [Number(partition), decodeProgress(text)]));
  }
}
