/**
 * closeGracefully: a request in flight when the server stops still gets its
 * answer, a new connection is refused, an idle keep-alive connection does not
 * hold the stop, and a stalled request is cut after the drain time.
 */
import { createServer, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openRequest } from '../../test/support';
import { closeGracefully } from './drain';

let server: Server;
let url: string;
/** Resolves when the server has the headers of the next request. */
let arrived: Promise<void>;

beforeEach(async () => {
  let onArrival: () => void = () => {};
  arrived = new Promise((resolve) => (onArrival = resolve));
  server = createServer((req, res) => {
    onArrival();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => res.end(`got ${Buffer.concat(chunks).length} bytes`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  server.closeAllConnections();
  server.close();
});

function post(agent?: Agent) {
  return openRequest(`${url}/`, { 'content-type': 'text/plain' }, agent);
}

it('lets a request whose body is still arriving finish and answers it, refusing new connections meanwhile', async () => {
  const { req, answer } = post();
  req.write('first half;');
  await arrived;
  let stopped = false;
  const stopping = closeGracefully(server, 5000).then(() => (stopped = true));
  const refused = await post().answer;
  expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
  expect(stopped).toBe(false);
  req.end('second half');
  expect(await answer).toEqual({ status: 200, body: 'got 22 bytes' });
  await stopping;
});

it('does not wait for a keep-alive connection once its request is answered', async () => {
  const agent = new Agent({ keepAlive: true });
  try {
    const { req, answer } = post(agent);
    req.write('x');
    await arrived;
    const started = Date.now();
    const stopping = closeGracefully(server, 5000);
    req.end();
    expect(await answer).toEqual({ status: 200, body: 'got 1 bytes' });
    await stopping;
    // Far below the drain time: the idle connection the answer left was closed, not waited out.
    expect(Date.now() - started).toBeLessThan(2000);
  } finally {
    agent.destroy();
  }
});

it('cuts a request that does not finish within the drain time', async () => {
  const { req, answer } = post();
  req.write('never finished');
  await arrived;
  await closeGracefully(server, 100);
  // Cut: the client sees the connection go, with no answer.
  expect(await answer).toMatchObject({ code: 'ECONNRESET' });
});
