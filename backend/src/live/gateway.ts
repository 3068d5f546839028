/**
 * Live gateway: a WebSocket endpoint that pushes the default subscriptions'
 * windows to every connected client. No per-client subscriptions yet: every
 * client gets every update. The only file that imports ws.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { LIVE_PATH, PROTOCOL_VERSION, type UpdateMessage, type WelcomeMessage } from '@panecast/protocol';
import type { WindowResults, WindowSink } from '../store/window-sink';

export interface GatewayOptions {
  instanceId: string;
  /** A client with more than this many bytes queued is skipped for an update. */
  maxBufferedBytes: number;
  heartbeatMs: number;
}

const DEFAULTS: Omit<GatewayOptions, 'instanceId'> = { maxBufferedBytes: 1 << 20, heartbeatMs: 15_000 };

interface Client {
  socket: WebSocket;
  alive: boolean;
}

export class LiveGateway implements WindowSink {
  readonly name = 'live';
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly options: GatewayOptions;
  private readonly heartbeat: NodeJS.Timeout;
  private skipped = 0;

  constructor(options: Partial<GatewayOptions> & { instanceId: string }) {
    this.options = { ...DEFAULTS, ...options };
    this.heartbeat = setInterval(() => this.reapDead(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Routes WebSocket upgrades on the live path of an HTTP server to this gateway. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (request.url ?? '').split('?', 1)[0];
      if (path !== LIVE_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
  }

  private accept(socket: WebSocket): void {
    const client: Client = { socket, alive: true };
    this.clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => this.clients.delete(client));
    const welcome: WelcomeMessage = { type: 'welcome', version: PROTOCOL_VERSION, server: this.options.instanceId };
    socket.send(JSON.stringify(welcome));
  }

  private reapDead(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        this.clients.delete(client);
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  async write(batch: WindowResults): Promise<void> {
    if (this.clients.size === 0) {
      return;
    }
    for (const result of batch.results) {
      const update: UpdateMessage = {
        type: 'update',
        metric: batch.metric,
        aggregate: batch.aggregate,
        series: { ...result.group },
        window: result.window,
        value: result.value,
        final: result.final,
        correction: result.correction,
      };
      this.broadcast(JSON.stringify(update));
    }
  }

  /** Serialized once by the caller; sent to every client that keeps up. */
  private broadcast(frame: string): void {
    for (const client of this.clients) {
      if (client.socket.readyState !== WebSocket.OPEN) {
        continue;
      }
      if (client.socket.bufferedAmount > this.options.maxBufferedBytes) {
        this.skipped++;
        continue;
      }
      client.socket.send(frame);
    }
  }

  get connections(): number {
    return this.clients.size;
  }

  get skippedUpdates(): number {
    return this.skipped;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const client of this.clients) {
      client.socket.close(1001, 'server shutting down');
      // Do not wait for a peer that never answers the closing handshake.
      setTimeout(() => client.socket.terminate(), 1000).unref();
    }
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
