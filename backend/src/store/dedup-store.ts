/**
 * The dedup-store port: where each partition's batch memory
 * (process/batch-dedup.ts) outlives the processor, so a new owner of the
 * partition still recognises retries of batches it never saw itself. Redis is
 * the real one (redis-dedup-store.ts); memory-dedup-store.ts is its twin.
 *
 * Entries are written before the pane commit they belong to and read back
 * only up to the committed offset (BatchDedup.restore), so no transaction
 * with the pane state is needed: an entry is a deterministic function of the
 * log, and one written by a batch that never committed — or by a fenced
 * former owner — is the entry the new owner derives again.
 *
 * Redis layout, under `panecast:<namespace>` (namespace = consumer group):
 *   :dedup:<partition>   zset  "<batch> <attempt> <offset>" scored by the collector time `at`
 * Each write trims entries older than the partition's horizon; the key expires
 * when a partition stays silent (abandoned groups do not keep memory for ever).
 */
import type { DedupEntry } from '../process/batch-dedup';

export interface DedupStore {
  /** The partition's stored entries, in no particular order. */
  load(partition: number): Promise<DedupEntry[]>;
  /** Adds entries (an entry already stored is kept as it is) and forgets those older than `horizon`. */
  record(partition: number, entries: readonly DedupEntry[], horizon: number): Promise<void>;
}

/** A partition key untouched this long is dropped, whatever its entries. */
export const DEDUP_IDLE_EXPIRY_MS = 7 * 24 * 3600_000;

export function encodeDedupMember(entry: DedupEntry): string {
  return `${entry.batch} ${entry.attempt} ${entry.offset}`;
}

/** Parses a stored member; undefined for one this version cannot read (it is then ignored). */
export function decodeDedupMember(member: string, at: number): DedupEntry | undefined {
  const [batch, attempt, offsetText, extra] = member.split(' ');
  const offset = Number(offsetText);
  if (batch === undefined || batch === '' || attempt === undefined || attempt === '' || extra !== undefined || !Number.isSafeInteger(offset)) {
    return undefined;
  }
  return { batch, attempt, at, offset };
}
