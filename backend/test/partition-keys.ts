/** Record keys for tests that put records in chosen partitions of a log. */
import { partitionFor } from '../src/buffer/partitioner';

/** A record key that the log's partitioner puts in `partition` of `partitions`. */
export function keyFor(partition: number, partitions: number): string {
  for (let k = 0; ; k++) {
    if (partitionFor(`k${k}`, partitions) === partition) {
      return `k${k}`;
    }
  }
}
