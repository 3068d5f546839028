/**
 * The late-events tool's command line. Hand-rolled rather than node:util's
 * parseArgs, which cannot take `--events` with an optional count (`--events`
 * alone means 20, `--events 5` five). Every refusal is a catalogue error, so
 * scripts and tests match on the code.
 */
import { PanecastError } from '../errors';
import { parseDuration } from './duration';

export const USAGE = 'npm run late -- [--since <duration>] [--events [N]] [--json]';

export const HELP = `Reads the late-events topic (<PANECAST_KAFKA_TOPIC>.late) of PANECAST_KAFKA_BROKERS,
from --since ago up to its end when the tool starts, drops copies (same panecast-source
header) and prints a summary.

usage: ${USAGE}
  --since <duration>  how far back, by write time: 15m, 2h, 1d, 1h30m (default 1h)
  --events [N]        print the newest N events (default 20) as NDJSON instead of the summary
  --json              print the summary as one JSON object
  --help              this text`;

export interface LateOptions {
  /** How far back to read, ms. */
  sinceMs: number;
  /** `--events`: how many of the newest events to print; undefined prints the summary. */
  events: number | undefined;
  json: boolean;
  help: boolean;
}

const DEFAULT_SINCE_MS = 3_600_000;
export const DEFAULT_EVENTS = 20;
/** The newest N are held in memory until the end of the read: bounded. */
const MAX_EVENTS = 100_000;

function argumentError(argument: string, rule: string): PanecastError {
  return new PanecastError('PANECAST_ERR_CLI_ARGUMENT', { argument, rule, usage: USAGE });
}

function eventCount(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_EVENTS) {
    throw argumentError(`${flag} ${text}`, `the count must be a whole number from 1 to ${MAX_EVENTS}`);
  }
  return Number(text);
}

/** Options from the arguments after `--`; throws PanecastError (PANECAST_ERR_CLI_*) on anything else. */
export function parseLateArgs(argv: readonly string[]): LateOptions {
  const options: LateOptions = { sinceMs: DEFAULT_SINCE_MS, events: undefined, json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const equals = arg.indexOf('=');
    const flag = arg.startsWith('--') && equals > 0 ? arg.slice(0, equals) : arg;
    const inline = flag === arg ? undefined : arg.slice(equals + 1);
    switch (flag) {
      case '--since': {
        const value = inline ?? argv[++i];
        if (value === undefined) {
          throw argumentError('--since', 'needs a duration, e.g. --since 2h');
        }
        const ms = parseDuration(value);
        if (ms === undefined) {
          throw new PanecastError('PANECAST_ERR_CLI_DURATION', { flag: '--since', value });
        }
        options.sinceMs = ms;
        break;
      }
      case '--events': {
        // The count is optional: only a following number is taken as it.
        const next = argv[i + 1];
        if (inline !== undefined) {
          options.events = eventCount(flag, inline);
        } else if (next !== undefined && /^\d+$/.test(next)) {
          options.events = eventCount(flag, next);
          i++;
        } else {
          options.events = DEFAULT_EVENTS;
        }
        break;
      }
      case '--json':
      case '--help':
      case '-h':
        if (inline !== undefined) {
          throw argumentError(arg, 'takes no value');
        }
        options[flag === '--json' ? 'json' : 'help'] = true;
        break;
      default:
        if (arg.startsWith('-')) {
          throw new PanecastError('PANECAST_ERR_CLI_UNKNOWN_FLAG', { flag, usage: USAGE });
        }
        throw argumentError(arg, 'is not a flag (the tool takes no positional arguments)');
    }
  }
  if (options.json && options.events !== undefined) {
    // Both would write to stdout: one JSON object, or NDJSON lines for jq.
    throw argumentError('--json --events', 'choose one: both print to stdout');
  }
  return options;
}
