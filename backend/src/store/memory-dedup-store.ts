/** In-memory twin of the Redis dedup store: same members, same trimming. */
import type { DedupEntry } from '../process/batch-dedup';
import { decodeDedupMember, encodeDedupMember, type DedupStore } from './dedup-store';

export class MemoryDedupStore implements DedupStore {
  /** partition → member → at */
  private readonly partitions = new Map<number, Map<string, number>>();

  async load(partition: number): Promise<DedupEntry[]> {
    const entries: DedupEntry[] = [];
    for (const [member, at] of this.partitions.get(partition) ?? []) {
      const entry = decodeDedupMember(member, at);
      if (entry !== undefined) {
        entries.push(entry);
      }
    }
    return entries;
  }

  async record(partition: number, entries: readonly DedupEntry[], horizon: number): Promise<void> {
    let members = this.partitions.get(partition);
    if (members === undefined) {
      members = new Map();
      this.partitions.set(partition, members);
    }
    for (const entry of entries) {
      const member = encodeDedupMember(entry);
      if (!members.has(member)) {
        members.set(member, entry.at);
      }
    }
    for (const [member, at] of members) {
      if (at < horizon) {
        members.delete(member);
      }
    }
  }

  /** Entries held per partition (tests). */
  sizes(): Map<number, number> {
    return new Map([...this.partitions].map(([partition, members]) => [partition, members.size]));
  }
}
