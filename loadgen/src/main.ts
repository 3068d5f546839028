/**
 * `npm run loadgen -- …`: realistic traffic for the demo domains. Progress
 * goes to stderr once a second; the summary to stdout (one JSON line with
 * --json). Exit 0 when every event generated was accepted, 1 when some were
 * lost or left unsent, 2 for a bad flag. Ctrl-C stops generating and sends
 * what is queued; a second Ctrl-C exits at once.
 */
import { ArgsError, parseLoadgenArgs, USAGE } from './args';
import { runLoad } from './run';
import { openTarget } from './targets';

async function main(): Promise<number> {
  let options;
  try {
    options = parseLoadgenArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ArgsError) {
      process.stderr.write(`loadgen: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const stop = new AbortController();
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (++signals > 1) {
        process.exit(130);
      }
      stop.abort();
    });
  }
  const tty = process.stderr.isTTY === true;
  const target = await openTarget(options);
  const summary = await runLoad(options, target, (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`), stop.signal);
  if (tty) {
    process.stderr.write('\n');
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const codes = Object.entries(summary.codes).map(([code, n]) => `${code}×${n}`).join(', ');
    process.stdout.write(
      `loadgen: ${summary.accepted.toLocaleString('en-US')} of ${summary.generated.toLocaleString('en-US')} events accepted in ${summary.seconds} s ` +
        `(${summary.rate.toLocaleString('en-US')}/s) by ${summary.target}; errors ${summary.errors}${codes ? ` (${codes})` : ''}, unsent ${summary.unsent}, lost ${summary.lost}\n`,
    );
  }
  return summary.accepted === summary.generated ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`loadgen: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
