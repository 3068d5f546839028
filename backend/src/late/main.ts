/**
 * `npm run late`: what the late-events topic holds, for the operator whom
 * PanecastTooLateEvents paged (docs/operations.md, "Reading late events").
 * Reads `<PANECAST_KAFKA_TOPIC>.late` of PANECAST_KAFKA_BROKERS (the
 * backend's settings and defaults, config.ts) from `--since` ago to its end
 * when the tool started, and prints a summary, `--json` or `--events [N]`.
 *
 * Exit codes: 0 done (also when there is nothing to read), 1 Kafka did not
 * answer or the read failed, 2 bad arguments or settings: one line on stderr
 * each, never a stack trace.
 */
import { ConfigError, kafkaConfig } from '../config';
import { PanecastError } from '../errors';
import { reaching, UnreachableError } from '../startup';
import { withTimeout } from '../buffer/with-timeout';
import { HELP, parseLateArgs, type LateOptions } from './args';
import { LateTopicReader } from './late-topic-reader';
import { createTimeNote, eventLine, nothingLine, summaryJson, summaryText, type ReadScope } from './report';
import { LateSummariser, type LateSummary } from './summary';

export interface LateIo {
  stdout(line: string): void;
  stderr(line: string): void;
  now(): number;
}

/** How long Kafka has to answer the first requests (metadata, offsets) before the tool gives up. */
export const REACH_TIMEOUT_MS = 5000;
const PREFIX = 'panecast late:';

const processIo: LateIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  now: () => Date.now(),
};

/** The innermost message of a client error (its wrappers say only "failed 2 times"). */
function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof AggregateError && current.errors.length > 0) {
    current = current.errors[current.errors.length - 1];
  }
  const outer = error instanceof Error ? error.message : String(error);
  const inner = current instanceof Error ? current.message : String(current);
  return inner === outer ? outer : `${outer} ${inner}`;
}

/** Runs the tool; resolves to the exit code. `env` and `io` are parameters so tests run it in-process. */
export async function runLate(argv: readonly string[], env: Record<string, string | undefined> = process.env, io: LateIo = processIo): Promise<number> {
  let options: LateOptions;
  let kafka: ReturnType<typeof kafkaConfig>;
  try {
    options = parseLateArgs(argv);
    kafka = kafkaConfig(env);
  } catch (error) {
    if (error instanceof PanecastError) {
      io.stderr(`${PREFIX} ${error.code}: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(`${PREFIX} invalid configuration: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    io.stdout(HELP);
    return 0;
  }
  const until = io.now();
  // As both Kafka adapters name it (buffer/kafka-log.ts, buffer/platformatic-log.ts).
  const scope: ReadScope = { topic: `${kafka.topic}.late`, since: until - options.sinceMs, until };
  const reader = new LateTopicReader({ brokers: kafka.brokers, clientId: kafka.clientId, topic: scope.topic });
  try {
    // As a services process at start (startup.ts): one line naming the setting, not the client's retries.
    const ranges = await reaching(
      'Kafka',
      'PANECAST_KAFKA_BROKERS',
      () => {
        const brokers = kafka.brokers.join(',');
        const planned = reader.plan(scope.since).catch((error: unknown) => Promise.reject(new Error(`${brokers}: ${rootMessage(error)}`)));
        return withTimeout(planned, REACH_TIMEOUT_MS, brokers);
      },
      () => reader.close(),
    );
    const summariser = new LateSummariser(options.events ?? 0);
    for await (const records of reader.read(ranges ?? [])) {
      records.forEach((record) => summariser.add(record));
    }
    const summary = summariser.result();
    print(options, summary, scope, io);
    for (const { partition, start, end } of reader.unread) {
      io.stderr(`${PREFIX} partition ${partition}: offsets ${start} to ${end - 1} could not be read (the broker had nothing there)`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UnreachableError) {
      io.stderr(`${PREFIX} ${error.message}`);
      return 1;
    }
    io.stderr(`${PREFIX} reading ${scope.topic} failed: ${rootMessage(error)}`);
    return 1;
  } finally {
    await reader.close().catch(() => undefined);
  }
}

function print(options: LateOptions, summary: LateSummary, scope: ReadScope, io: LateIo): void {
  const note = createTimeNote(summary, scope.topic);
  if (options.events !== undefined) {
    // stdout carries only the NDJSON lines (for jq); what they are goes to stderr.
    summary.newest.forEach((line) => io.stdout(eventLine(line)));
    io.stderr(summary.records === 0 ? `${PREFIX} ${nothingLine(scope)}` : `${PREFIX} the newest ${summary.newest.length} of ${summary.events} events since ${new Date(scope.since).toISOString()} in ${scope.topic}`);
  } else if (options.json) {
    io.stdout(summaryJson(summary, scope));
    if (summary.records === 0) {
      io.stderr(`${PREFIX} ${nothingLine(scope)}`);
    }
  } else if (summary.records === 0) {
    io.stdout(nothingLine(scope));
  } else {
    summaryText(summary, scope).forEach((line) => io.stdout(line));
  }
  if (note !== undefined) {
    io.stderr(`${PREFIX} ${note}`);
  }
}

if (require.main === module) {
  runLate(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // The reader is closed by now; should a client timer still hold the loop, do not hang the operator's shell.
      setTimeout(() => process.exit(code), 1000).unref();
    },
    (error: unknown) => {
      console.error(`${PREFIX} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 1;
    },
  );
}
