/**
 * One read key's live connections are bounded however many tokens it mints:
 * every token from POST /v1/live/token has its own per-token budget, and all
 * of them together stay under PANECAST_LIVE_MAX_CONNECTIONS_PER_KEY (closed
 * with 4009 and PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS past it).
 */
import WebSocket from 'ws';
import { CLOSE, LIVE_PATH, PROTOCOL_VERSION, parseServerMessage, type ServerMessage } from '@panecast/protocol';
import { waitFor } from '../support';
import { startTenantApp, type TenantApp } from './tenant-app';

const SECRET = 'key-connections-test-secret-0123456789';
const READ_A = 'read-key-a-0123456789abc';
const READ_B = 'read-key-b-0123456789abc';
const PER_KEY = 3;

let tenants: TenantApp;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  tenants = await startTenantApp('acme__events', {
    PANECAST_TOKEN_SECRETS: SECRET,
    PANECAST_READ_KEYS: `default:${READ_A},default:${READ_B}`,
    PANECAST_API_KEYS: 'default:write-default-0123456789',
    PANECAST_LIVE_MAX_CONNECTIONS_PER_KEY: String(PER_KEY),
  });
});

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => closed(socket)));
});

afterAll(async () => {
  await tenants.stop();
});

async function mint(key: string): Promise<string> {
  const response = await fetch(`${tenants.app.url}/v1/live/token`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

interface Hello {
  socket: WebSocket;
  /** The first answer to hello: welcome, or the error frame of a refusal. */
  first: ServerMessage;
  /** The close code and reason, once closed. */
  close: Promise<[number, string]>;
}

async function hello(token: string): Promise<Hello> {
  const socket = new WebSocket(tenants.app.url.replace(/^http/, 'ws') + LIVE_PATH);
  sockets.push(socket);
  const messages: ServerMessage[] = [];
  socket.on('message', (data) => {
    const message = parseServerMessage(String(data));
    if (message !== undefined) {
      messages.push(message);
    }
  });
  const close = new Promise<[number, string]>((resolve) => socket.once('close', (code, reason) => resolve([code, reason.toString()])));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, token }));
  const first = await waitFor(() => messages[0], 'an answer to hello');
  return { socket, first, close };
}

function closed(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });
}

it('refuses the connection past the key limit, whatever fresh token it brings, and admits again once one closes', async () => {
  const open: Hello[] = [];
  for (let i = 0; i < PER_KEY; i++) {
    const answer = await hello(await mint(READ_A));
    expect(answer.first.type).toBe('welcome');
    open.push(answer);
  }
  const refused = await hello(await mint(READ_A));
  expect(refused.first).toMatchObject({ type: 'error', code: 'PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS' });
  expect(refused.first.type === 'error' && refused.first.message).toContain(String(PER_KEY));
  expect(await refused.close).toEqual([CLOSE.TOO_MANY_CONNECTIONS, 'PANECAST_ERR_TOO_MANY_KEY_CONNECTIONS']);

  // Another read key has a budget of its own.
  expect((await hello(await mint(READ_B))).first.type).toBe('welcome');

  // A closed connection gives its place back.
  await closed((open[0] as Hello).socket);
  const again = await waitFor(async () => {
    const answer = await hello(await mint(READ_A));
    return answer.first.type === 'welcome' ? answer : undefined;
  }, 'a connection of key A to be admitted again');
  expect(again.first.type).toBe('welcome');
});
