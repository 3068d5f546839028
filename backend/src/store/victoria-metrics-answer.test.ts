/**
 * The VictoriaMetrics adapter reads a query_range answer up to a byte bound:
 * a fake VictoriaMetrics on a local port serves answers of chosen sizes,
 * with and without a content-length.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PanecastError } from '../errors';
import type { RangeAggregation } from './history';
import { VictoriaMetricsHistory } from './victoria-metrics-history';

const QUERY: RangeAggregation = { name: 'panecast_m_count', match: { window: ['1s'] }, op: 'sum', by: ['route'], windowMs: 1000, start: 1000, end: 5000, stepMs: 1000 };

/** A query_range answer of `series` series of 5 points each (~190 bytes per series). */
function answer(series: number): string {
  const values = [1, 2, 3, 4, 5].map((t) => [t, '1']);
  const result = Array.from({ length: series }, (_, i) => ({ metric: { route: `/r${i}` }, values }));
  return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
}

let server: Server;
let base: string;
let body = '';
let chunked = false;

beforeAll(async () => {
  server = createServer((_request, response) => {
    if (chunked) {
      // No content-length: the size shows only while reading.
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let at = 0; at < body.length; at += 16_384) {
        response.write(body.slice(at, at + 16_384));
      }
      response.end();
    } else {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('VictoriaMetrics answers past the byte bound', () => {
  it.each([
    ['with a content-length', false],
    ['chunked', true],
  ])('reads an answer within the bound and refuses a larger one with a coded 400 (%s)', async (_name, isChunked) => {
    chunked = isChunked;
    const history = new VictoriaMetricsHistory(base, 100_000);
    body = answer(100);
    expect(Buffer.byteLength(body)).toBeLessThan(100_000);
    const series = await history.aggregate(QUERY);
    expect(series).toHaveLength(100);
    expect(series[99]).toEqual({ labels: { route: '/r99' }, points: [1000, 2000, 3000, 4000, 5000].map((t) => [t, 1]) });

    body = answer(2000);
    expect(Buffer.byteLength(body)).toBeGreaterThan(100_000);
    const refusal = await history.aggregate(QUERY).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PanecastError);
    expect(refusal).toMatchObject({ code: 'PANECAST_ERR_HISTORY_ANSWER_TOO_LARGE', status: 400, details: { maxBytes: 100_000 } });
  });
});
