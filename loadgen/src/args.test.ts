import { ArgsError, parseLoadgenArgs } from './args';
import { eventTime, LATE_MIN_MS } from './timing';
import { seeded } from './random';

describe('loadgen flags', () => {
  it('has defaults for everything and reads the URL and key from the environment', () => {
    const options = parseLoadgenArgs([], { PANECAST_URL: 'http://c.test:9000', PANECAST_API_KEY: 'k' });
    expect(options).toMatchObject({
      target: 'http',
      rate: 1000,
      durationSec: 60,
      domains: ['games', 'ads', 'servers'],
      url: 'http://c.test:9000',
      apiKey: 'k',
      batch: 500,
      clients: 2,
      json: false,
    });
  });

  it('reads every flag', () => {
    const options = parseLoadgenArgs(
      ['--target', 'kafka', '--rate', '2.5', '--duration', '5m', '--domains', 'ads,servers', '--users', '7', '--campaigns', '3', '--services', '2',
        '--out-of-order', '0.2', '--late', '0.1', '--late-ms', '9000', '--brokers', 'b:1', '--topic', 't', '--seed', '5', '--json'],
    );
    expect(options).toMatchObject({
      target: 'kafka',
      rate: 2.5,
      durationSec: 300,
      domains: ['ads', 'servers'],
      users: 7,
      campaigns: 3,
      services: 2,
      outOfOrder: 0.2,
      late: 0.1,
      lateMs: 9000,
      brokers: 'b:1',
      topic: 't',
      seed: 5,
      json: true,
    });
    expect(parseLoadgenArgs(['--duration', '0'])).toMatchObject({ durationSec: 0 });
    expect(parseLoadgenArgs(['--help'])).toBe('help');
  });

  it.each([
    [['--target', 'udp'], /^--target:/],
    [['--rate', 'fast'], /^--rate:/],
    [['--duration', '10 minutes'], /^--duration:/],
    [['--domains', 'games,chess'], /^--domains: "chess"/],
    [['--users', '0'], /^--users:/],
    [['--out-of-order', '0.7', '--late', '0.5'], /^--late: .* more than 1/],
    [['--url', 'ftp://x'], /^--url:/],
    [['--unknown'], /Unknown option/],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseLoadgenArgs(argv)).toThrow(ArgsError);
    expect(() => parseLoadgenArgs(argv)).toThrow(message);
  });
});

describe('event times', () => {
  it('puts the asked fractions out of order and late, within their bounds', () => {
    const random = seeded(3);
    const shape = { outOfOrder: 0.2, outOfOrderMs: 1500, late: 0.05, lateMs: 30_000 };
    const lags = Array.from({ length: 20_000 }, () => 1_000_000 - eventTime(random, 1_000_000, shape));
    const late = lags.filter((lag) => lag >= LATE_MIN_MS);
    const reordered = lags.filter((lag) => lag > 0 && lag <= 1500);
    expect(late.length / lags.length).toBeCloseTo(0.05, 2);
    expect(reordered.length / lags.length).toBeCloseTo(0.2, 1);
    expect(Math.max(...late)).toBeLessThanOrEqual(30_000);
    expect(lags.every((lag) => lag === 0 || lag <= 1500 || lag >= LATE_MIN_MS)).toBe(true);
  });
});
