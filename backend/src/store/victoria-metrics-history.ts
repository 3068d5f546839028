/**
 * VictoriaMetrics adapter of the history port. Writes JSON lines to
 * `/api/v1/import`: cheap to build from Node, one request per batch.
 * VictoriaMetrics runs with deduplication so a re-written window keeps one
 * sample.
 */
import type { History, Sample } from './history';

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_LINES_PER_REQUEST = 20_000;

export class VictoriaMetricsHistory implements History {

  constructor(private readonly baseUrl: string) {}

  async writeSamples(samples: readonly Sample[]): Promise<void> {
    // Bounded requests: a catch-up after an outage may hold many panes.
    for (let from = 0; from < samples.length; from += MAX_LINES_PER_REQUEST) {
      await this.importLines(samples.slice(from, from + MAX_LINES_PER_REQUEST));
    }
  }

  private async importLines(samples: readonly Sample[]): Promise<void> {
    const lines = samples.map((sample) =>
      JSON.stringify({
        metric: { __name__: sample.name, ...sample.labels },
        values: [sample.value],
        timestamps: [sample.timestamp],
      }),
    );
    if (lines.length === 0) {
      return;
    }
    const response = await fetch(`${this.baseUrl}/api/v1/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${lines.join('\n')}\n`,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) {
      throw new Error(`victoriametrics: import answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    }
  }

  async ping(): Promise<void> {
    const response = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) {
      throw new Error(`victoriametrics: /health answered ${response.status}`);
    }
  }

  async close(): Promise<void> {}
}
