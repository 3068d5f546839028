/**
 * Forwards the datasource's traffic to the Panecast backend, HTTP and
 * WebSocket, the way Grafana's data proxy stands between the browser and a
 * datasource URL. The backend sends no CORS headers, so a same-origin proxy
 * is what lets the page reach it at all, as in Grafana. A WebSocket upgrade is
 * relayed byte for byte after the handshake, so close codes and a dead
 * backend look to the page exactly as they would without the proxy.
 */
import { type IncomingMessage, type ServerResponse, request as httpRequest } from 'node:http';
import { type Socket, connect } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxyTarget {
  /** Backend base URL, e.g. http://127.0.0.1:18080. */
  current(): URL;
}

// Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function joinPath(base: URL, rest: string): string {
  return `${base.pathname.replace(/\/$/, '')}/${rest.replace(/^\//, '')}`;
}

/** Grafana's data proxy answers 502 when the datasource URL does not answer. */
function badGateway(response: ServerResponse, reason: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = JSON.stringify({ message: `Bad Gateway: the Panecast backend did not answer (${reason})` });
  response.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

export function proxyHttp(target: ProxyTarget, rest: string, request: IncomingMessage, response: ServerResponse): void {
  const base = target.current();
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) {
      headers[name] = value;
    }
  }
  headers.host = base.host;
  const upstream = httpRequest(
    { protocol: base.protocol, hostname: base.hostname, port: base.port, method: request.method, path: joinPath(base, rest), headers },
    (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) {
          out[name] = value;
        }
      }
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      answer.pipe(response);
    },
  );
  upstream.on('error', (error) => badGateway(response, error.message));
  request.pipe(upstream);
}

export function proxyUpgrade(target: ProxyTarget, rest: string, request: IncomingMessage, client: Duplex, head: Buffer, open: Set<Socket | Duplex>): void {
  const base = target.current();
  const backend = connect(Number(base.port || 80), base.hostname);
  open.add(client);
  open.add(backend);
  let answered502 = false;
  const closeBoth = () => {
    client.destroy();
    backend.destroy();
    open.delete(client);
    open.delete(backend);
  };
  backend.once('connect', () => {
    const lines = [`${request.method ?? 'GET'} ${joinPath(base, rest)} HTTP/1.1`];
    for (let index = 0; index < request.rawHeaders.length; index += 2) {
      const name = request.rawHeaders[index] as string;
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? base.host : request.rawHeaders[index + 1]}`);
    }
    backend.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) {
      backend.write(head);
    }
    backend.pipe(client);
    client.pipe(backend);
  });
  backend.once('error', (error) => {
    if (backend.bytesRead === 0 && client.writable) {
      // Nothing relayed yet: answer the upgrade with a 502, then let the client close.
      answered502 = true;
      open.delete(backend);
      client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nthe Panecast backend did not answer (${error.message})`);
      return;
    }
    closeBoth();
  });
  client.once('error', closeBoth);
  backend.once('close', () => {
    if (!answered502) {
      closeBoth();
    }
  });
  client.once('close', closeBoth);
}
