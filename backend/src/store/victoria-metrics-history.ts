/**
 * VictoriaMetrics adapter of the history port. Writes JSON lines to
 * `/api/v1/import`: cheap to build from Node, one request per batch.
 * VictoriaMetrics runs with deduplication so a re-written window keeps one
 * sample. Reads are one MetricsQL expression each on `/api/v1/query_range`
 * (see `metricsql`), with `nocache=1`: VictoriaMetrics would otherwise round
 * start and end to the step on long ranges and serve cached results.
 */
import { PanecastError } from '../errors';
import { checkAggregation, type AggregatedSeries, type History, type RangeAggregation, type Sample } from './history';

const REQUEST_TIMEOUT_MS = 10_000;
/** Default bound of one query_range answer read (see boundedText). */
export const DEFAULT_MAX_ANSWER_BYTES = 256 * 1024 * 1024;
const MAX_LINES_PER_REQUEST = 20_000;

/** A MetricsQL string literal. */
function quote(text: string): string {
  return JSON.stringify(text);
}

/** RE2 metacharacters, escaped so a value matches only itself. */
function regexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A label name in MetricsQL: dimension names may hold `.`, `:` or `-`, which it reads escaped. */
function labelName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '\\$&');
}

/**
 * The MetricsQL of an aggregation:
 * `sum by (region) (sum_over_time(panecast_m_count{window="1s",region=~"eu|us"}[60000ms]))`.
 * '' in `match` is VictoriaMetrics' own spelling of "label absent".
 */
export function metricsql(query: RangeAggregation): string {
  const matchers = Object.entries(query.match).map(([label, values]) =>
    values.length === 1
      ? `${labelName(label)}=${quote(values[0] as string)}`
      : `${labelName(label)}=~${quote(values.map(regexLiteral).join('|'))}`,
  );
  const selector = `${query.name}{${matchers.join(',')}}`;
  return `${query.op} by (${query.by.map(labelName).join(',')}) (${query.op}_over_time(${selector}[${query.windowMs}ms]))`;
}

function sampleValue(text: string): number {
  // Prometheus' JSON spells infinities +Inf / -Inf, which Number() does not read.
  return text === '+Inf' ? Number.POSITIVE_INFINITY : text === '-Inf' ? Number.NEGATIVE_INFINITY : Number(text);
}

interface QueryRangeBody {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/**
 * A body read up to `maxBytes`, refused past it without reading the rest.
 * Why: the points budget of a read (MAX_ANSWER_POINTS) applies once the
 * answer is parsed, but a query over many series can make VictoriaMetrics
 * answer hundreds of MB; read whole, that answer held the memory (or, past
 * V8's longest string, failed as "unavailable") before any budget applied.
 */
async function boundedText(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new PanecastError('PANECAST_ERR_HISTORY_ANSWER_TOO_LARGE', { maxBytes }, { maxBytes });
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) {
    return '';
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return text + decoder.decode();
    }
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

export class VictoriaMetricsHistory implements History {
  constructor(
    private readonly baseUrl: string,
    private readonly maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES,
  ) {}

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

  async aggregate(query: RangeAggregation): Promise<AggregatedSeries[]> {
    checkAggregation(query);
    const body = new URLSearchParams({
      query: metricsql(query),
      start: (query.start / 1000).toFixed(3),
      end: (query.end / 1000).toFixed(3),
      step: `${query.stepMs}ms`,
      nocache: '1',
      // Only panes the writer's cursor says are complete are ever read: VictoriaMetrics must not
      // hide the newest of them behind -search.latencyOffset (30 s by default; empty answers).
      latency_offset: '1ms',
    });
    let answer: QueryRangeBody;
    try {
      // POST: a selector with many filter values can outgrow a URL.
      const response = await fetch(`${this.baseUrl}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await boundedText(response, this.maxAnswerBytes);
      answer = JSON.parse(text) as QueryRangeBody;
      if (!response.ok || answer.status !== 'success') {
        throw new Error(`query_range answered ${response.status}: ${answer.error ?? text.slice(0, 200)}`);
      }
    } catch (error) {
      if (error instanceof PanecastError) {
        throw error;
      }
      throw new PanecastError('PANECAST_ERR_HISTORY_UNAVAILABLE', { detail: (error as Error).message.slice(0, 300) });
    }
    return (answer.data?.result ?? []).map((series) => ({
      labels: Object.fromEntries(query.by.map((label) => [label, series.metric[label] ?? ''])),
      points: series.values.map(([seconds, value]) => [Math.round(seconds * 1000), sampleValue(value)] as [number, number]),
    }));
  }

  async ping(): Promise<void> {
    const response = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) {
      throw new Error(`victoriametrics: /health answered ${response.status}`);
    }
  }

  async close(): Promise<void> {}
}
