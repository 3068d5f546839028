/**
 * Key → partition for the in-process log. Kafka clients hash keys with
 * murmur2; the twin only needs the same property — one key, one partition —
 * so a small FNV-1a hash is enough.
 */
export function partitionFor(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
