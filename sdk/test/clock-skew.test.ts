/**
 * The SDK on a device whose clock is 10 minutes off, against the real
 * collector in embedded mode: every event is accepted and counted in the
 * windows of the collector's clock (its `sent-at` lets the collector correct
 * the times). Without it, a fast clock's events are all refused as in the
 * future, and a slow clock's land behind the allowed lateness. A relay
 * forwarding events stamped by good clocks elsewhere turns `sent-at` off
 * (`sendSentAt: false`): with it, the relay's slow clock would move every
 * time 10 minutes ahead, past the future bound.
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
  app = await startApp(loadConfig({ PANECAST_PORT: '0', PANECAST_DEMO_EVENTS_PER_SEC: '0', PANECAST_OUT_OF_ORDERNESS_MS: '200', PANECAST_IDLE_MS: '300' }));
});

afterAll(async () => {
  await app.stop();
});

const uniqueType = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;

/** Event times of `type` in the log. */
function loggedTimes(type: string): number[] {
  const log = app.log as MemoryLog;
  return log
    .sizes()
    .flatMap((_, partition) => log.records(partition))
    .flatMap((record) => decodeRecordEvents(recordText(record.value)))
    .flatMap((event) => (event?.type === type ? [event.ts] : []));
}

/** What the pipeline counted for `type` over the last minute of the collector's clock. */
async function pipelineCount(type: string): Promise<number> {
  const to = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  const params = new URLSearchParams({ metric: 'events', aggregate: 'count', size: '1000', from: String(to - 60_000), to: String(to), 'filter.type': type });
  const answer = (await (await fetch(`${app.url}/v1/query?${params}`)).json()) as { groups: Array<{ points: Array<{ value: number }> }> };
  return answer.groups.flatMap((group) => group.points).reduce((sum, point) => sum + point.value, 0);
}

async function counted(type: string, expected: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let count = await pipelineCount(type);
  while (count < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = await pipelineCount(type);
  }
  return count;
}

it.each([
  ['fast', TEN_MINUTES],
  ['slow', -TEN_MINUTES],
])('delivers every event from a clock 10 minutes %s, in the windows of the collector clock', async (name, skew) => {
  const type = uniqueType(`sdk_clock_${name}`);
  const errors: DeliveryError[] = [];
  const sdk = createClient({ url: app.url, now: () => Date.now() + skew, batchSize: 10, onError: (error) => errors.push(error) });
  const before = Date.now();
  for (let i = 0; i < 25; i++) {
    sdk.track(type, { i });
  }
  await expect(sdk.flush(10_000)).resolves.toBe(true);
  const after = Date.now();
  expect(errors).toEqual([]);
  expect(sdk.stats()).toMatchObject({ sent: 25, failed: 0 });
  const times = loggedTimes(type);
  expect(times).toHaveLength(25);
  for (const ts of times) {
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);
  }
  expect(await counted(type, 25)).toBe(25);
  await sdk.close();
});

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
