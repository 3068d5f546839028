/**
 * `sendSentAt: false` against the real collector in embedded mode: a relay
 * whose own clock is 10 minutes slow forwards events stamped by good clocks
 * elsewhere. With `sent-at` the collector takes the relay's clock for theirs
 * and moves every time 10 minutes ahead, past its future bound, refusing the
 * batch; without it, every `ts` is logged exactly as sent.
 */
import { startApp, type App } from '../../backend/src/app';
import { recordText } from '../../backend/src/buffer/event-log';
import type { MemoryLog } from '../../backend/src/buffer/memory-log';
import { decodeRecordEvents } from '../../backend/src/collect/event-records';
import { loadConfig } from '../../backend/src/config';
import { createClient, type DeliveryError } from '../src';

const TEN_MINUTES = 10 * 60_000;
let app: App;

beforeAll(async () => {
  app = await startApp(loadConfig({ PANECAST_PORT: '0', PANECAST_DEMO_EVENTS_PER_SEC: '0' }));
});

afterAll(async () => {
  await app.stop();
});

const uniqueType = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;

function loggedTimes(type: string): number[] {
  const log = app.log as MemoryLog;
  return log
    .sizes()
    .flatMap((_, partition) => log.records(partition))
    .flatMap((record) => decodeRecordEvents(recordText(record.value)))
    .flatMap((event) => (event?.type === type ? [event.ts] : []));
}

async function relay(type: string, sendSentAt: boolean | undefined): Promise<{ errors: DeliveryError[]; stamped: number[] }> {
  const errors: DeliveryError[] = [];
  const sdk = createClient({
    url: app.url,
    now: () => Date.now() - TEN_MINUTES,
    batchSize: 10,
    retry: { maxAttempts: 1 },
    onError: (error) => errors.push(error),
    ...(sendSentAt === undefined ? {} : { sendSentAt }),
  });
  // Times from the good clocks the events came from: the last minute, by the collector's own clock.
  const stamped = Array.from({ length: 5 }, (_, i) => Date.now() - 60_000 + i * 1000);
  for (const ts of stamped) {
    sdk.track(type, { ts });
  }
  await sdk.flush(10_000);
  await sdk.close(1000);
  return { errors, stamped };
}

it('with sendSentAt: false keeps every ts as sent', async () => {
  const type = uniqueType('sdk_relay_plain');
  const { errors, stamped } = await relay(type, false);
  expect(errors).toEqual([]);
  expect(loggedTimes(type)).toEqual(stamped);
});

it('by default sends sent-at, and the relay clock moves the times out of bounds', async () => {
  const type = uniqueType('sdk_relay_corrected');
  const { errors } = await relay(type, undefined);
  expect(errors.map((error) => error.code)).toContain('PANECAST_ERR_INVALID_EVENTS');
  expect(loggedTimes(type)).toEqual([]);
});
