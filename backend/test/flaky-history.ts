/**
 * The in-memory history as VictoriaMetrics unreachable looks to the writer:
 * every write refused while `down`, and what it took kept in order, so a
 * test can look at the samples themselves.
 */
import { MemoryHistory } from '../src/store/memory-history';
import type { Sample } from '../src/store/history';

export class FlakyHistory extends MemoryHistory {
  readonly kept: Sample[] = [];

  constructor(
    public down: boolean,
    maxSamples = 1_000_000,
  ) {
    super(maxSamples);
  }

  override async writeSamples(samples: readonly Sample[]): Promise<void> {
    if (this.down) {
      throw new Error('connect ECONNREFUSED');
    }
    this.kept.push(...samples);
    await super.writeSamples(samples);
  }
}
