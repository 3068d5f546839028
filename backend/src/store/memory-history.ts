/** In-memory twin of the VictoriaMetrics history store: keeps the last samples written. */
import type { History, Sample } from './history';

export class MemoryHistory implements History {
  private readonly written: Sample[] = [];

  constructor(private readonly maxSamples = 100_000) {}

  async writeSamples(samples: readonly Sample[]): Promise<void> {
    this.written.push(...samples);
    if (this.written.length > this.maxSamples) {
      this.written.splice(0, this.written.length - this.maxSamples);
    }
  }

  samples(): readonly Sample[] {
    return this.written;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
