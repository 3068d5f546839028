/**
 * The fan-out floor: the least a gateway written in Node can do per update on
 * this machine, to measure the real gateway against (`--gateway=floor`).
 *
 * It takes the same load (hello, subscribe, snapshot, numbered updates on the
 * same Redis Pub/Sub channels the composer publishes to) and, per update,
 * does only what no gateway can skip: receive the batch from Redis, encode
 * the WebSocket frame once, and write it to each watching socket. Everything
 * else the real gateway does is left out: no token check, no session, no
 * per-client seq filter, outbox or coalescing, no heartbeats, no gap repair.
 * So its curve is an upper bound for any gateway on the same machine and the
 * same transport; where even it misses the target, the limit is the machine
 * (the kernel's socket writes), not the gateway's code.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { PROTOCOL_VERSION, toEngineQuery, type SubscribeQuery } from '@panecast/protocol';
import { shareFrames } from '../../backend/src/live/hub';
import type { LiveFrame } from '../../backend/src/live/live-bus';
import type { RedisLiveBus } from '../../backend/src/live/redis-live-bus';
import { compileQuery } from '../../backend/src/window';
import { DEFINITIONS, PANE_MS } from './shared';

interface Channel {
  /** The raw TCP sockets of the clients watching: frames are written there directly. */
  sockets: Set<Duplex>;
  listener: (frames: readonly LiveFrame[]) => void;
}

interface SubscribeRequest {
  type: 'subscribe';
  id: string;
  sub: string;
  query: SubscribeQuery;
}

export class FloorGateway {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly channels = new Map<string, Channel>();
  private connections = 0;

  constructor(private readonly bus: RedisLiveBus) {}

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, socket));
    });
  }

  private accept(ws: WebSocket, raw: Duplex): void {
    this.connections++;
    let watching: Channel | undefined;
    ws.on('message', (data: RawData) => {
      const message = JSON.parse(data.toString()) as { type: string } | SubscribeRequest;
      if (message.type === 'hello') {
        ws.send(JSON.stringify({ type: 'welcome', version: PROTOCOL_VERSION, server: 'floor' }));
      } else if (message.type === 'subscribe') {
        void this.join(ws, raw, message as SubscribeRequest).then((channel) => {
          watching = channel;
        });
      }
    });
    ws.on('close', () => {
      this.connections--;
      watching?.sockets.delete(raw);
    });
  }

  private async join(ws: WebSocket, raw: Duplex, request: SubscribeRequest): Promise<Channel> {
    const key = compileQuery(toEngineQuery(request.query), DEFINITIONS, PANE_MS).key;
    let channel = this.channels.get(key);
    if (channel === undefined) {
      const created: Channel = { sockets: new Set(), listener: (frames) => this.fan(created, frames) };
      channel = created;
      this.channels.set(key, created);
      await this.bus.watch(key, created.listener);
    }
    const snapshot = await this.bus.snapshot(key);
    ws.send(JSON.stringify({ type: 'subscribed', id: request.id, sub: request.sub, resumed: false }));
    ws.send(JSON.stringify({ type: 'snapshot', sub: request.sub, seq: snapshot?.seq ?? 0, windows: [] }));
    // A frame published while the snapshot was read is missed here: one gap at join, before any measured window.
    channel.sockets.add(raw);
    return channel;
  }

  /** One encoding per frame, one write per socket: the floor. Every client of the load uses sub id "A". */
  private fan(channel: Channel, frames: readonly LiveFrame[]): void {
    for (const shared of shareFrames(frames)) {
      const wire = shared.wire('"A"');
      for (const socket of channel.sockets) {
        socket.write(wire);
      }
    }
  }

  /** The floor never conflates: it writes every frame however late. */
  stats(): { connections: number; queries: number; backlogged: number; conflatedFrames: number } {
    return { connections: this.connections, queries: this.channels.size, backlogged: 0, conflatedFrames: 0 };
  }

  async close(): Promise<void> {
    for (const [key, channel] of this.channels) {
      await this.bus.unwatch(key, channel.listener);
      channel.sockets.forEach((socket) => socket.destroy());
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
