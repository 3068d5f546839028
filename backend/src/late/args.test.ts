import { PanecastError } from '../errors';
import { DEFAULT_EVENTS, parseLateArgs } from './args';

describe('parseLateArgs', () => {
  it('defaults to the last hour, the summary as text', () => {
    expect(parseLateArgs([])).toEqual({ sinceMs: 3_600_000, events: undefined, json: false, help: false });
  });

  it('takes --since as a separate or an inline value', () => {
    expect(parseLateArgs(['--since', '15m']).sinceMs).toBe(900_000);
    expect(parseLateArgs(['--since=1d']).sinceMs).toBe(86_400_000);
  });

  it('takes --events with or without a count', () => {
    expect(parseLateArgs(['--events']).events).toBe(DEFAULT_EVENTS);
    expect(parseLateArgs(['--events', '5']).events).toBe(5);
    expect(parseLateArgs(['--events=7']).events).toBe(7);
    // A flag after --events is not its count.
    expect(parseLateArgs(['--events', '--since', '2h'])).toMatchObject({ events: DEFAULT_EVENTS, sinceMs: 7_200_000 });
  });

  it('refuses an unknown flag with PANECAST_ERR_CLI_UNKNOWN_FLAG', () => {
    expect(() => parseLateArgs(['--sinse', '1h'])).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_CLI_UNKNOWN_FLAG' }));
    expect(() => parseLateArgs(['-x'])).toThrow(PanecastError);
  });

  it('refuses a bad duration with PANECAST_ERR_CLI_DURATION, naming the value', () => {
    expect(() => parseLateArgs(['--since', '2x'])).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_CLI_DURATION', message: expect.stringContaining('"2x"') }));
    expect(() => parseLateArgs(['--since=0m'])).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_CLI_DURATION' }));
  });

  it.each([
    [['--since']],
    [['--events', '0']],
    [['--events=many']],
    [['--json=yes']],
    [['extra']],
    [['--json', '--events']],
  ])('refuses %j with PANECAST_ERR_CLI_ARGUMENT', (argv) => {
    expect(() => parseLateArgs(argv)).toThrow(expect.objectContaining({ code: 'PANECAST_ERR_CLI_ARGUMENT', status: 400 }));
  });
});
