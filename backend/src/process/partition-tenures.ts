/**
 * Which partitions the consumer group gave this processor, and for how long.
 *
 * A partition's tenure ends each time the group takes it away. A load or a
 * commit still on its way when that happened speaks for a tenure that ended
 * (another member may have loaded the partition meanwhile): it may finish its
 * batch, whose commit the store fences if a newer owner loaded, but it must
 * not decide for a later tenure: neither keep its load as the partition's
 * state nor have the partition refused once the group gives it back.
 */
export class PartitionTenures {
  /** Partitions a newer owner took over; refused until the group assigns them to us again. */
  private readonly fenced = new Set<number>();
  /** Per partition, how many of its tenures have ended. */
  private readonly ended = new Map<number, number>();
  private assigned = new Set<number>();

  /**
   * Takes the group's new assignment and returns the partitions taken away: those assigned before
   * and those `held` (state loaded, or a load on its way) that the new assignment lacks.
   */
  assign(partitions: readonly number[], held: Iterable<number>): number[] {
    const owned = new Set(partitions);
    owned.forEach((partition) => this.fenced.delete(partition));
    const revoked = [...new Set([...this.assigned, ...held])].filter((partition) => !owned.has(partition));
    revoked.forEach((partition) => this.ended.set(partition, this.current(partition) + 1));
    this.assigned = owned;
    return revoked;
  }

  /** The partition's current tenure: compare before and after an await to tell whether it ended meanwhile. */
  current(partition: number): number {
    return this.ended.get(partition) ?? 0;
  }

  isFenced(partition: number): boolean {
    return this.fenced.has(partition);
  }

  /** A newer owner refused a commit made in `tenure`: refuse the partition until it is ours again, unless that tenure has ended. */
  fence(partition: number, tenure: number): void {
    if (this.current(partition) === tenure) {
      this.fenced.add(partition);
    }
  }
}
