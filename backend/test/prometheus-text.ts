/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), for
 * tests: what a scraper would make of `GET /metrics`. It throws on any line
 * it cannot read, on a sample without its family's TYPE line and on a family
 * declared twice, so a malformed exposition fails the test rather than
 * reading as "no such series".
 */

export interface ScrapedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  /** Family name → `counter`, `gauge`, `histogram`, `summary` or `untyped`. */
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly ScrapedSample[];
  /** The samples of one series name whose labels include `labels`. */
  find(name: string, labels?: Readonly<Record<string, string>>): ScrapedSample[];
  /** The value of the one sample of `name` (with `labels`); throws when there is none or several. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
const SUFFIXES = ['_bucket', '_sum', '_count'];

/** Go's float parsing, which Prometheus and VictoriaMetrics use: NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: string): number {
  const special = /^([+-]?)(inf|nan)$/i.exec(text);
  if (special !== null) {
    return (special[2] as string).toLowerCase() === 'nan' ? Number.NaN : special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    throw new Error(`not a sample value: ${line}`);
  }
  return value;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (match === null) {
      throw new Error(`cannot read the labels of: ${line}`);
    }
    const [, name, raw] = match as unknown as [string, string, string];
    if (name in labels) {
      throw new Error(`label ${name} twice in: ${line}`);
    }
    labels[name] = raw.replace(/\\(["\\n])/g, (_whole, char: string) => (char === 'n' ? '\n' : char));
  }
  return labels;
}

/** The family a sample belongs to: its own name, or the histogram/summary it is a part of. */
function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) {
    return name;
  }
  const suffix = SUFFIXES.find((s) => name.endsWith(s));
  const base = suffix === undefined ? undefined : name.slice(0, -suffix.length);
  return base !== undefined && (types.get(base) === 'histogram' || types.get(base) === 'summary') ? base : undefined;
}

export function parsePrometheusText(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: ScrapedSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      if (types.has(type[1] as string)) {
        throw new Error(`family ${type[1]} declared twice`);
      }
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    if (line.startsWith('#')) {
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null) {
      throw new Error(`not a sample line: ${line}`);
    }
    const [, name, labels, value] = match as unknown as [string, string, string | undefined, string];
    if (familyOf(name, types) === undefined) {
      throw new Error(`sample before (or without) its family's TYPE line: ${line}`);
    }
    samples.push({ name, labels: labels === undefined ? {} : parseLabels(labels, line), value: parseValue(value, line) });
  }
  const find = (name: string, labels: Readonly<Record<string, string>> = {}) =>
    samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  return {
    types,
    samples,
    find,
    value(name, labels) {
      const found = find(name, labels);
      if (found.length !== 1) {
        throw new Error(`${found.length} samples of ${name}${labels === undefined ? '' : JSON.stringify(labels)}`);
      }
      return (found[0] as ScrapedSample).value;
    },
  };
}
